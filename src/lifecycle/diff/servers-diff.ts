/**
 * Where the API is served: OpenAPI 3 `servers` (variables at their defaults) or Swagger 2.0's
 * `schemes`, `host` and `basePath`, as one list of URLs. A changed base path moves every URL.
 */
import { isObject, type Path, type SpecModel } from '../../audit/spec-model.js'
import type { DiffContext } from './diff-context.js'
import { showValue } from './schema-view.js'

interface ServerUrl {
  readonly url: string
  readonly basePath: string
  readonly path: Path
}

const RELATIVE_BASE = 'http://relative.invalid'

function basePathOf(url: string): string {
  try {
    return new URL(url, RELATIVE_BASE).pathname.replace(/\/+$/, '')
  } catch {
    return url
  }
}

function withDefaults(url: string, variables: unknown): string {
  return url.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const variable = isObject(variables) ? variables[name] : undefined
    return isObject(variable) && variable.default !== undefined ? showValue(variable.default) : whole
  })
}

export function serversOf(spec: SpecModel): ServerUrl[] {
  if (spec.isOas3) {
    const servers = spec.document.servers
    if (!Array.isArray(servers)) return []
    return servers.flatMap((server, index) => {
      if (!isObject(server) || typeof server.url !== 'string') return []
      const url = withDefaults(server.url, server.variables)
      return [{ url, basePath: basePathOf(url), path: ['servers', String(index), 'url'] }]
    })
  }
  const { host, basePath, schemes } = spec.document
  const base = typeof basePath === 'string' ? basePath.replace(/\/+$/, '') : ''
  if (typeof host !== 'string') return base === '' ? [] : [{ url: base, basePath: base, path: ['basePath'] }]
  const list = Array.isArray(schemes) && schemes.length > 0 ? schemes.map(String) : ['https']
  // One place for all of them: the base path is what moves most often, else the host.
  const path = typeof basePath === 'string' ? ['basePath'] : ['host']
  return list.map((scheme) => ({ url: `${scheme}://${host}${base}`, basePath: base, path }))
}

export function diffServers(context: DiffContext): void {
  const before = serversOf(context.old)
  const after = serversOf(context.new)
  const oldBase = before[0]?.basePath ?? ''
  const newBase = after[0]?.basePath ?? ''
  // Documents without servers are served from `/` (OpenAPI 3 §4.8.1); a base path only moves when both name one.
  if (before.length > 0 && after.length > 0 && oldBase !== newBase) {
    context.changes.add('api-base-path-changed', `base path changed from ${oldBase || '/'} to ${newBase || '/'}`, { oldPath: before[0]?.path ?? [], newPath: after[0]?.path ?? [] })
  }
  const oldUrls = new Map(before.map((server) => [server.url.replace(/\/+$/, ''), server]))
  const newUrls = new Map(after.map((server) => [server.url.replace(/\/+$/, ''), server]))
  for (const [url, server] of oldUrls) if (!newUrls.has(url)) context.changes.add('api-server-removed', `server ${url} removed`, { oldPath: server.path, newPath: context.new.isOas3 ? ['servers'] : ['host'] })
  for (const [url, server] of newUrls) if (!oldUrls.has(url)) context.changes.add('api-server-added', `server ${url} added`, { oldPath: context.old.isOas3 ? ['servers'] : ['host'], newPath: server.path })
}

/** Named schemas removed from `components.schemas` (OpenAPI 3) or `definitions` (Swagger 2.0). */
export function diffNamedSchemas(context: DiffContext): void {
  const namesOf = (spec: SpecModel): { names: Set<string>; base: Path } => {
    const base = spec.isOas3 ? ['components', 'schemas'] : ['definitions']
    const container = spec.at(base)
    return { names: new Set(isObject(container) ? Object.keys(container) : []), base }
  }
  const before = namesOf(context.old)
  const after = namesOf(context.new)
  for (const name of before.names) if (!after.names.has(name)) context.changes.add('api-schema-removed', `schema ${name} removed`, { oldPath: [...before.base, name], newPath: after.base })
}
