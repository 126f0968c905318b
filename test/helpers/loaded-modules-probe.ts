/**
 * `node --import tsx test/helpers/loaded-modules-probe.ts on|off`: in a fresh process, starts a
 * gateway (tracing on or off) in front of an upstream, sends one request carrying a
 * `traceparent`, stops, and prints one JSON line: the response status, the `@opentelemetry/*`
 * packages this process loaded and which other modules `require`d them, the
 * `observability/tracing*` modules it loaded, and the
 * `traceparent` the upstream received. Modules are seen by a resolve hook registered before the
 * gateway is imported (every ESM import) and in the CommonJS cache (the SDK's own `require`s).
 */
import { createRequire, register } from 'node:module'
import { MessageChannel } from 'node:worker_threads'

const HOOKS = `
let port
export function initialize(data) { port = data.port }
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context)
  port.postMessage(result.url)
  return result
}
`

const tracing = process.argv[2] === 'on'
const { port1, port2 } = new MessageChannel()
const resolved = new Set<string>()
port1.on('message', (url: string) => resolved.add(url))
register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, import.meta.url, { data: { port: port2 }, transferList: [port2] })

const { baseConfig, startTestGateway } = await import('./gateway.js')
const { startUpstream } = await import('./upstream.js')
const { startOtlpReceiver } = await import('./otlp-receiver.js')
const { request } = await import('undici')

const upstream = await startUpstream()
const receiver = await startOtlpReceiver()
const gw = await startTestGateway({ ...baseConfig(upstream.url), telemetry: { tracing: { enabled: tracing, endpoint: receiver.endpoint, sampleRatio: 1 } } })
let status: number
try {
  const res = await request(`${gw.url}/probe`, { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } })
  status = res.statusCode
  await res.body.dump()
} finally {
  await gw.stop()
  await upstream.close()
  await receiver.close()
}

// Messages from the hook arrive in order: once this import's own is in, every earlier one is.
const sentinel = `data:text/javascript,export default ${Date.now()}`
await import(sentinel)
for (let i = 0; i < 200 && !resolved.has(sentinel); i++) await new Promise((r) => setTimeout(r, 10))
if (!resolved.has(sentinel)) throw new Error('the resolve hook reported nothing')
port1.close()

const cache = createRequire(import.meta.url).cache
const loaded = [...resolved, ...Object.keys(cache)]
// Which modules outside the packages required one of them (prom-client's default metrics require the API).
const OTEL = /node_modules\/@opentelemetry\//
const requiredBy = new Set<string>()
for (const module of Object.values(cache)) {
  if (module === undefined || OTEL.test(module.filename)) continue
  if (module.children.some((child) => OTEL.test(child.filename))) requiredBy.add(module.filename.replace(/^.*node_modules\//, ''))
}
const packages = new Set<string>()
const tracingModules = new Set<string>()
for (const entry of loaded) {
  const pkg = /node_modules\/(@opentelemetry\/[^/]+)\//.exec(entry)
  if (pkg !== null) packages.add(pkg[1] as string)
  const own = /\/src\/observability\/(tracing[^/]*\.ts)$/.exec(entry)
  if (own !== null) tracingModules.add(own[1] as string)
}
const upstreamTraceparent = upstream.requests[0]?.headers.traceparent ?? null
process.stdout.write(`${JSON.stringify({ status, opentelemetry: [...packages].sort(), requiredBy: [...requiredBy].sort(), tracingModules: [...tracingModules].sort(), upstreamTraceparent })}\n`)
