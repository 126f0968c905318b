/** Cross-field checks the schema cannot express, run after it passed. */
import { isIP } from 'node:net'
import type { ConfigProblem } from '../errors.js'
import { parseCidr } from '../net/ip-matcher.js'
import type { OnFailure, PolicyDefinition } from '../pipeline/define-policy.js'
import { limitProblems } from '../policies/rate-limit/compile-limits.js'
import { formatPath, joinPath } from './format-path.js'
import type { GatewayConfig } from './schema.js'

export function checkConfig(config: GatewayConfig, policies: readonly PolicyDefinition[]): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  if (config.listen.http === undefined && config.listen.https === undefined) {
    problems.push({ path: 'listen', message: 'must define http or https (or both)' })
  }
  config.trustedProxies.forEach((cidr, index) => {
    if (parseCidr(cidr) === null) problems.push({ path: `trustedProxies[${index}]`, message: 'must be an IP address or CIDR range' })
  })
  if (config.admin !== undefined && !config.admin.allowRemote && !isLoopback(adminHost(config.admin.listen))) {
    problems.push({ path: 'admin.listen', message: 'must be a loopback address (127.0.0.1, ::1, localhost) unless admin.allowRemote is true' })
  }
  problems.push(...checkIdentity(config))
  for (const [plan, { limits }] of Object.entries(config.plans)) {
    limits.forEach((limit, index) => {
      for (const problem of limitProblems(limit)) problems.push({ path: joinPath(formatPath(['plans', plan, 'limits', index]), problem.path), message: problem.message })
    })
  }
  const names = new Set<string>()
  const mounts = new Set<string>()
  config.apis.forEach((api, index) => {
    const at = (...rest: (string | number)[]) => formatPath(['apis', index, ...rest])
    if (names.has(api.name)) problems.push({ path: at('name'), message: `duplicates the name of another API ("${api.name}")` })
    names.add(api.name)
    for (const host of api.hosts.length === 0 ? ['*'] : api.hosts) {
      const mount = `${host.toLowerCase()} ${api.basePath.replace(/\/$/, '') || '/'}`
      if (mounts.has(mount)) problems.push({ path: at('basePath'), message: `another API already serves ${api.basePath} on host ${host}` })
      mounts.add(mount)
    }
    const { url, targets } = api.upstream
    if ((url === undefined) === (targets === undefined)) problems.push({ path: at('upstream'), message: 'must have either url or targets (not both)' })
    for (const [name, value] of Object.entries(api.policies)) {
      problems.push(...checkPolicy(policies, name, value, at('policies', name), config))
    }
    for (const [route, overrides] of Object.entries(api.routes)) {
      for (const [name, value] of Object.entries(overrides)) {
        if (value !== false) problems.push(...checkPolicy(policies, name, value, at('routes', route, name), config))
      }
    }
  })
  return problems
}

function checkPolicy(policies: readonly PolicyDefinition[], name: string, value: unknown, path: string, config: GatewayConfig): ConfigProblem[] {
  const policy = policies.find((p) => p.name === name)
  if (policy === undefined) return []
  return policy.check(value as never as Record<string, unknown> & { onFailure: OnFailure }, { identity: config.identity, workers: config.workers, counters: config.stores.counters }).map((p) => ({ path: joinPath(path, p.path), message: p.message }))
}

const SYMMETRIC = /^HS/

function checkIdentity(config: GatewayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const { jwt, introspection } = config.identity
  if (jwt !== undefined) {
    const sources = [jwt.jwksUri, jwt.keys, jwt.secret].filter((s) => s !== undefined).length
    if (sources > 1) problems.push({ path: 'identity.jwt', message: 'must have only one of jwksUri, keys or secret' })
    if (sources === 0 && jwt.issuer === undefined) problems.push({ path: 'identity.jwt', message: 'must have issuer (for OIDC discovery), jwksUri, keys or secret' })
    jwt.algorithms.forEach((alg, index) => {
      const symmetric = SYMMETRIC.test(alg)
      // Key confusion: a public key must never verify an HMAC, a secret never stands for a public key.
      if (symmetric && jwt.secret === undefined) problems.push({ path: `identity.jwt.algorithms[${index}]`, message: `${alg} needs identity.jwt.secret; public keys only verify asymmetric algorithms` })
      if (!symmetric && jwt.secret !== undefined) problems.push({ path: `identity.jwt.algorithms[${index}]`, message: `${alg} cannot be verified with a shared secret` })
    })
    if (jwt.jwks.minRefreshSec > jwt.jwks.maxRefreshSec) problems.push({ path: 'identity.jwt.jwks.minRefreshSec', message: 'must not exceed maxRefreshSec' })
  }
  if (introspection !== undefined && introspection.endpoint === undefined && introspection.issuer === undefined) {
    problems.push({ path: 'identity.introspection', message: 'must have endpoint or issuer (for OIDC discovery)' })
  }
  return problems
}

/** The host part of `host:port` / `[v6]:port`. */
export function adminHost(listen: string): string {
  const colon = listen.lastIndexOf(':')
  const host = listen.slice(0, colon)
  return host.startsWith('[') ? host.slice(1, -1) : host
}

export function adminPort(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1))
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 0) return false
  return host === '::1' || host.startsWith('127.')
}
