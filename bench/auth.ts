/**
 * Authentication cost: the gateway with no auth against JWT (RS256, ES256), introspection and
 * API keys, each with its cache on (a token or key verified once, then remembered) and off
 * (verified on every request), in interleaved rounds.
 * The key set and the introspection endpoint are served by bench/support/identity-server.ts
 * and the upstream by nginx, both pinned beside wrk on core 1; the gateway runs alone on core 0.
 * Usage: node --import tsx bench/auth.ts [--rounds 3] [--seconds 8] [--warmup 6] [--connections 50] [--only jwt]
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { Management } from '../src/admin/management.js'
import { openDataStore } from '../src/stores/open-data-store.js'
import { formatSummaries, parseBenchArgs, selectContenders, freePort, measureInterleaved, nginxConfig, startPinned, waitForHttp, writeGatewayConfig, type Contender } from './harness.js'

const args = parseBenchArgs()
const PROXY_CORE = 0
const LOAD_CORE = 1
const PATH = '/api/items/42'
const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-auth-'))
const root = join(import.meta.dirname, '..')
const gateway = join(root, 'bin/portcullis.js')

// Keys and tokens: one of each kind, valid for longer than the run.
const rsa = await generateKeyPair('RS256', { extractable: true })
const ec = await generateKeyPair('ES256', { extractable: true })
const jwks = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' }, { ...(await exportJWK(ec.publicKey)), kid: 'ec', alg: 'ES256', use: 'sig' }] }
writeFileSync(join(dir, 'jwks.json'), JSON.stringify(jwks))
const token = (alg: 'RS256' | 'ES256', key: Parameters<SignJWT['sign']>[0], kid: string) =>
  new SignJWT({ scope: 'orders:read' }).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).setIssuer('https://id.bench').setAudience('orders').setSubject('bench').setIssuedAt().setExpirationTime('2h').sign(key)
const rs256 = await token('RS256', rsa.privateKey, 'rsa')
const es256 = await token('ES256', ec.privateKey, 'ec')

const storeUrl = `sqlite:${join(dir, 'data.db')}`
const store = await openDataStore(storeUrl, dir)
const management = new Management(store)
const by = { actor: 'bench', source: 'bench' }
await management.createConsumer(by, { id: 'bench', name: 'Bench', scopes: ['orders:read'] })
const { key: apiKey } = await management.createKey(by, 'bench', { label: 'bench' })
await store.close()

const upstreamPort = await freePort()
const identityPort = await freePort()
const upstream = startPinned('upstream-nginx', LOAD_CORE, 'nginx', ['-c', nginxConfig(dir, 'upstream', upstreamPort, null)])
const identity = startPinned('identity', LOAD_CORE, process.execPath, ['--import', 'tsx', join(root, 'bench/support/identity-server.ts'), String(identityPort), join(dir, 'jwks.json')])
await waitForHttp(`http://127.0.0.1:${upstreamPort}/`)
await waitForHttp(`http://127.0.0.1:${identityPort}/jwks`)
const idp = `http://127.0.0.1:${identityPort}`

// For the authorization rows: the route from an OpenAPI document with a security requirement,
// and 50 Cedar policies of which one applies.
writeFileSync(
  join(dir, 'items.json'),
  JSON.stringify({
    openapi: '3.1.0',
    info: { title: 'items', version: '1' },
    components: { securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
    paths: { '/items/{id}': { get: { operationId: 'getItem', security: [{ key: ['orders:read'] }], responses: { '200': { description: 'ok' } } } } },
  }),
)
const otherPolicies = Array.from({ length: 49 }, (_, i) => `@id("p${i}") permit(principal, action == Action::"op${i}", resource) when { principal.roles.contains("r${i}") };`)
writeFileSync(join(dir, 'policies.cedar'), [...otherPolicies, '@id("read-items") permit(principal, action == Action::"getItem", resource) when { resource.params has id && principal.scopes.contains("orders:read") };'].join('\n'))

function gatewayContender(name: string, auth: Record<string, unknown> | null, identityConfig: Record<string, unknown>, headers: Record<string, string> = {}, authz?: Record<string, unknown>): Contender {
  const slug = name.replace(/[^a-z0-9]+/gi, '-')
  return {
    name,
    headers,
    start: (port) => {
      const policies = { ...(auth === null ? {} : { auth }), ...(authz === undefined ? {} : { authz }) }
      const api =
        authz === undefined
          ? { name: 'bench', basePath: '/api', upstream: { url: `http://127.0.0.1:${upstreamPort}` }, routes: { 'GET /items/{id}': {} }, policies }
          : { name: 'bench', basePath: '/api', openapi: join(dir, 'items.json'), upstream: { url: `http://127.0.0.1:${upstreamPort}` }, policies }
      const file = writeGatewayConfig(dir, slug, port, api, true, { identity: identityConfig, stores: { data: storeUrl } })
      return startPinned(slug, PROXY_CORE, gateway, ['start', '-c', file])
    },
  }
}

const jwt = (cacheVerified: boolean) => ({ jwt: { issuer: 'https://id.bench', jwksUri: `${idp}/jwks`, audiences: ['orders'], algorithms: ['RS256', 'ES256'], typ: 'at+jwt', cacheVerified } })
const introspection = (cacheMaxSec: number) => ({ introspection: { endpoint: `${idp}/introspect`, clientId: 'gateway', clientSecret: 'bench-secret', cacheMaxSec } })
const apiKeys = (cacheSec: number) => ({ apiKeys: { cacheSec } })
const bearer = (value: string) => ({ authorization: `Bearer ${value}` })

const contenders: Contender[] = [
  gatewayContender('no auth', null, {}),
  gatewayContender('JWT RS256, cached', { methods: ['jwt'] }, jwt(true), bearer(rs256)),
  gatewayContender('JWT RS256, verified every request', { methods: ['jwt'] }, jwt(false), bearer(rs256)),
  gatewayContender('JWT ES256, cached', { methods: ['jwt'] }, jwt(true), bearer(es256)),
  gatewayContender('JWT ES256, verified every request', { methods: ['jwt'] }, jwt(false), bearer(es256)),
  gatewayContender('introspection, warm cache', { methods: ['introspection'] }, introspection(300), bearer('opaque-bench-token')),
  gatewayContender('introspection, no cache, one token (look-ups coalesced)', { methods: ['introspection'] }, introspection(0), bearer('opaque-bench-token')),
  { ...gatewayContender('introspection, a new token every request', { methods: ['introspection'] }, introspection(300), bearer('opaque-first')), script: join(root, 'bench/support/random-bearer.lua') },
  gatewayContender('API key, cached', { methods: ['apiKey'] }, apiKeys(5), { 'x-api-key': apiKey }),
  gatewayContender('API key, SQLite every request', { methods: ['apiKey'] }, apiKeys(0), { 'x-api-key': apiKey }),
  gatewayContender('API key + authz (OpenAPI requirements)', { methods: ['apiKey'] }, apiKeys(5), { 'x-api-key': apiKey }, {}),
  gatewayContender('API key + authz + 50 Cedar policies, repeated request (decision cached)', { methods: ['apiKey'] }, apiKeys(5), { 'x-api-key': apiKey }, { cedar: { policies: join(dir, 'policies.cedar') } }),
  {
    ...gatewayContender('API key + authz + 50 Cedar policies, a new item every request', { methods: ['apiKey'] }, apiKeys(5), { 'x-api-key': apiKey }, { cedar: { policies: join(dir, 'policies.cedar') } }),
    script: join(root, 'bench/support/distinct-items.lua'),
  },
  gatewayContender('API key + authz + 50 Cedar policies, no decision cache', { methods: ['apiKey'] }, apiKeys(5), { 'x-api-key': apiKey }, { cedar: { policies: join(dir, 'policies.cedar'), decisionCacheSize: 0 } }),
]
const selected = selectContenders(contenders, args.only, (c) => c.name === 'no auth')
const options = { ...args, path: PATH, loadCore: LOAD_CORE }

process.stderr.write(`bench auth: ${options.rounds} rounds × ${selected.length} configs × ${options.seconds}s, ${options.connections} connections, gateway on core ${PROXY_CORE}\n`)
try {
  const summary = await measureInterleaved(selected, options)
  const table = formatSummaries(summary, [{ label: 'no auth', cpuUsPerRequest: summary[0]?.cpuUsPerRequest ?? Number.NaN }])
  process.stdout.write(`\nmedians of ${options.rounds} interleaved rounds, ${options.seconds}s each, ${options.connections} connections, GET ${PATH}\n\n${table}\n`)
} finally {
  await identity.stop()
  await upstream.stop()
}
