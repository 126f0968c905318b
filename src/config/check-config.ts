/** Cross-field checks the schema cannot express, run after it passed. */
import { isIP } from 'node:net'
import type { ConfigProblem } from '../errors.js'
import { parseCidr } from '../net/ip-matcher.js'
import { sectionValuesOf, type OnFailure, type PolicyCheckContext, type PolicyDefinition } from '../pipeline/define-policy.js'
import { formatPath, joinPath } from './format-path.js'
import type { GatewayConfig } from './schema.js'
import { portalProblems } from '../portal/portal-schema.js'
import { checkVersions } from './check-versions.js'

/** Every problem the schema cannot see, each with its path; empty when the config is coherent. */
export function checkConfig(config: GatewayConfig, policies: readonly PolicyDefinition[]): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  if (config.listen.http === undefined && config.listen.https === undefined) {
    problems.push({ path: 'listen', message: 'must define http or https (or both)' })
  }
  config.trustedProxies.forEach((cidr, index) => {
    if (parseCidr(cidr) === null) problems.push({ path: `trustedProxies[${index}]`, message: 'must be an IP address or CIDR range' })
  })
  config.apis.forEach((api, index) => {
    const { state, sunsetAt, brownouts } = api.lifecycle
    if (state === 'retired' && sunsetAt === undefined) problems.push({ path: `apis[${index}].lifecycle.sunsetAt`, message: 'is required when the state is retired (from then on the version answers 410)' })
    brownouts.forEach((window, w) => {
      if (Date.parse(window.end) <= Date.parse(window.start)) problems.push({ path: `apis[${index}].lifecycle.brownouts[${w}].end`, message: 'must be after its start' })
    })
  })
  const oidc = config.admin?.dashboard.oidc
  if (oidc !== undefined && oidc.allowedSubjects === undefined && oidc.requiredClaim === undefined) {
    problems.push({ path: 'admin.dashboard.oidc', message: 'must name who may sign in: allowedSubjects or requiredClaim (otherwise every account at the provider would be an administrator)' })
  }
  if (config.admin !== undefined && !config.admin.allowRemote && !isLoopback(adminHost(config.admin.listen))) {
    problems.push({ path: 'admin.listen', message: 'must be a loopback address (127.0.0.1, ::1, localhost) unless admin.allowRemote is true' })
  }
  problems.push(...checkListenerAddresses(config))
  problems.push(...portalProblems(config.portal, config.apis))
  for (const policy of policies) {
    for (const [name, section] of Object.entries(policy.sections)) {
      for (const problem of section.check?.(config[name]) ?? []) problems.push({ path: joinPath(formatPath([name]), problem.path), message: problem.message })
    }
  }
  problems.push(...checkVersions(config.apis))
  config.apis.forEach((api, index) => {
    const at = (...rest: (string | number)[]) => formatPath(['apis', index, ...rest])
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
  return policy.check(value as never as Record<string, unknown> & { onFailure: OnFailure }, checkContextOf(config, policy)).map((p) => ({ path: joinPath(path, p.path), message: p.message }))
}

/** The parts of the config `policy`'s declarations may look at: the sections it declared, and the core's facts they depend on. */
export function checkContextOf(config: GatewayConfig, policy: PolicyDefinition): PolicyCheckContext {
  return { sections: sectionValuesOf(policy, config), workers: config.workers, counters: config.stores.counters }
}

/** Every policy setting of an API, `[policy name, setting]`: the API's own, then its route overrides (those turned off left out). */
export function policySettingsOf(api: GatewayConfig['apis'][number]): [string, unknown][] {
  const settings: [string, unknown][] = Object.entries(api.policies)
  for (const overrides of Object.values(api.routes)) {
    for (const [name, value] of Object.entries(overrides)) if (value !== false) settings.push([name, value])
  }
  return settings
}

interface BindAddress {
  host: string
  port: number
}

/**
 * Listeners whose addresses overlap on one port: the second could not bind at start, and the
 * admin API must never be reachable on a data port. Port 0 (a free port each time) never clashes.
 */
function checkListenerAddresses(config: GatewayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const { http, https } = config.listen
  if (http !== undefined && https !== undefined && clash(https, http)) {
    problems.push({ path: 'listen.https.port', message: `must not be the port of listen.http (${formatAddress(https)} overlaps ${formatAddress(http)})` })
  }
  if (config.admin !== undefined) {
    const admin = { host: adminHost(config.admin.listen), port: adminPort(config.admin.listen) }
    for (const [path, data] of [['listen.http', http], ['listen.https', https]] as const) {
      if (data === undefined || !clash(admin, data)) continue
      problems.push({ path: 'admin.listen', message: `must not use the port of ${path} (${config.admin.listen} overlaps ${formatAddress(data)}); the admin API needs a listener of its own` })
    }
  }
  return problems
}

function clash(a: BindAddress, b: BindAddress): boolean {
  if (a.port !== b.port || a.port === 0) return false
  const left = boundAddresses(a.host)
  const right = boundAddresses(b.host)
  return left.some((x) => right.some((y) => x === y || covers(x, y) || covers(y, x)))
}

/** The addresses a host binds: `localhost` both loopbacks, IPv6 in one spelling; other names as written (not resolved). */
function boundAddresses(host: string): string[] {
  const name = host.toLowerCase()
  if (name === 'localhost') return ['127.0.0.1', '::1']
  return isIP(name) === 6 ? [new URL(`http://[${name}]/`).hostname.slice(1, -1)] : [name]
}

/** `::` is dual-stack in Node (it takes IPv4 too); `0.0.0.0` takes every IPv4 address, and a name most likely resolves to one. */
function covers(wildcard: string, address: string): boolean {
  return wildcard === '::' || (wildcard === '0.0.0.0' && isIP(address) !== 6)
}

function formatAddress({ host, port }: BindAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** The host part of `host:port` / `[v6]:port`. */
export function adminHost(listen: string): string {
  const colon = listen.lastIndexOf(':')
  const host = listen.slice(0, colon)
  return host.startsWith('[') ? host.slice(1, -1) : host
}

/** The port part of `host:port` / `[v6]:port`. */
export function adminPort(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1))
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 0) return false
  return host === '::1' || host.startsWith('127.')
}
