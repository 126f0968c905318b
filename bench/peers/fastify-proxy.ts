/** fastify + @fastify/http-proxy, its documented minimal setup. Usage: fastify-proxy.ts PORT UPSTREAM_URL */
import proxy from '@fastify/http-proxy'
import Fastify from 'fastify'

const [port = '0', upstream = 'http://127.0.0.1:8000'] = process.argv.slice(2)
const app = Fastify({ logger: false })
await app.register(proxy, { upstream })
await app.listen({ port: Number(port), host: '127.0.0.1' })
process.stdout.write('ready\n')

// Exit cleanly on signals so --cpu-prof can write its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0))
