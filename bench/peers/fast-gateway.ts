/** fast-gateway with one route to the upstream. Usage: fast-gateway.ts PORT UPSTREAM_URL */
import gateway from 'fast-gateway'

const [port = '0', upstream = 'http://127.0.0.1:8000'] = process.argv.slice(2)
// Routes match by prefix; the benchmark's paths live under /api.
const server = gateway({ routes: [{ prefix: '/api', target: upstream }] })
await server.start(Number(port), '127.0.0.1')
process.stdout.write('ready\n')

// Exit cleanly on signals so --cpu-prof can write its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0))
