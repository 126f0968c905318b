/**
 * The route table: APIs by host and base path, then routes by method and path template.
 * Built once per config load; lookups allocate only the parameter object.
 */
import { splitPath, type PathHazard } from './normalize-path.js'
import { parseTemplate } from './path-template.js'
import { RouteNode } from './route-tree.js'

export interface RouterRoute<T> {
  method: string
  template: string
  value: T
}

export interface RouterApi<T> {
  name: string
  /** Lower-case host names, `*.example.com` wildcards; empty for any host. */
  hosts: readonly string[]
  basePath: string
  routes: readonly RouterRoute<T>[]
  /** Used for every path and method under the base path when the API declares no routes. */
  catchAll: T | null
  /** Handed back with a not-found or method-not-allowed answer for a path under the API's base path (what observes unrouted requests), if any. */
  unmatched?: T | null
}

/** The API a path belonged to that none of its routes matched. */
export interface Unmatched<T> {
  value: T
  relativePath: string
}

export type RouteLookup<T> =
  | {
      kind: 'match'
      value: T
      /** Decoded: `{id}` matched by `a%2Fb` is `a/b`. */
      params: Record<string, string>
      isPreflight: boolean
      relativePath: string
      /** How risky the raw path is to forward (normalize-path.ts); judged where the request would be forwarded. */
      pathHazard: PathHazard
    }
  | { kind: 'not-found'; unmatched?: Unmatched<T> }
  | { kind: 'method-not-allowed'; allow: string; unmatched?: Unmatched<T> }
  | { kind: 'bad-path' }

interface Entry<T> {
  value: T
  paramNames: readonly string[]
}

interface CompiledApi<T> {
  basePath: string
  tree: RouteNode<Entry<T>>
  catchAll: T | null
  unmatched: T | null
}

const NOT_FOUND = { kind: 'not-found' } as const
const BAD_PATH = { kind: 'bad-path' } as const

export interface Router<T> {
  lookup(host: string | undefined, method: string, path: string, preflightMethod: string | null): RouteLookup<T>
}

/** Builds the table; throws with a message naming the API and route on a conflict. */
export function createRouter<T>(apis: readonly RouterApi<T>[]): Router<T> {
  const byHost = new Map<string, CompiledApi<T>[]>()
  const wildcard: { suffix: string; apis: CompiledApi<T>[] }[] = []
  const anyHost: CompiledApi<T>[] = []

  for (const api of apis) {
    const compiled = compileApi(api)
    if (api.hosts.length === 0) anyHost.push(compiled)
    for (const host of api.hosts) {
      const name = stripPort(host.toLowerCase())
      if (name.startsWith('*.')) {
        const suffix = name.slice(1)
        let group = wildcard.find((w) => w.suffix === suffix)
        if (group === undefined) wildcard.push((group = { suffix, apis: [] }))
        group.apis.push(compiled)
      } else {
        let group = byHost.get(name)
        if (group === undefined) byHost.set(name, (group = []))
        group.push(compiled)
      }
    }
  }
  const byLongestBase = (a: CompiledApi<T>, b: CompiledApi<T>) => b.basePath.length - a.basePath.length
  for (const group of byHost.values()) group.sort(byLongestBase)
  for (const group of wildcard) group.apis.sort(byLongestBase)
  wildcard.sort((a, b) => b.suffix.length - a.suffix.length)
  anyHost.sort(byLongestBase)

  function findApi(host: string, path: string): CompiledApi<T> | null {
    const exact = byHost.get(host)
    if (exact !== undefined) {
      const api = firstByBase(exact, path)
      if (api !== null) return api
    }
    for (const group of wildcard) {
      if (host.endsWith(group.suffix) && host.length > group.suffix.length) {
        const api = firstByBase(group.apis, path)
        if (api !== null) return api
      }
    }
    return firstByBase(anyHost, path)
  }

  return {
    lookup(hostHeader, method, path, preflightMethod) {
      const api = findApi(stripPort((hostHeader ?? '').toLowerCase()), path)
      if (api === null) return NOT_FOUND
      const relativePath = api.basePath === '/' ? path : path.slice(api.basePath.length) || '/'
      const split = splitPath(relativePath)
      if (split === null) return BAD_PATH
      if (api.catchAll !== null) return { kind: 'match', value: api.catchAll, params: {}, isPreflight: false, relativePath, pathHazard: split.hazard }
      const found = lookupInTree(api.tree, split.segments, method, preflightMethod, relativePath, split.hazard)
      if (api.unmatched === null || found.kind === 'match') return found
      return { ...found, unmatched: { value: api.unmatched, relativePath } }
    },
  }
}

function lookupInTree<T>(
  tree: RouteNode<Entry<T>>,
  segments: string[],
  method: string,
  preflightMethod: string | null,
  relativePath: string,
  pathHazard: PathHazard,
): RouteLookup<T> {
  const wanted = preflightMethod ?? method
  let found: Entry<T> | null = null
  let values: string[] = []
  let allowed: Set<string> | null = null
  tree.walk(segments, 0, [], (node, captured) => {
    const methods = node.methods as Map<string, Entry<T>>
    const entry = methods.get(wanted) ?? (wanted === 'HEAD' ? methods.get('GET') : undefined)
    if (entry !== undefined) {
      found = entry
      values = captured.slice()
      return true
    }
    allowed ??= new Set()
    for (const m of methods.keys()) allowed.add(m)
    return false
  })
  if (found !== null) {
    const entry: Entry<T> = found
    const params: Record<string, string> = {}
    entry.paramNames.forEach((name, i) => (params[name] = values[i] as string))
    return { kind: 'match', value: entry.value, params, isPreflight: preflightMethod !== null, relativePath, pathHazard }
  }
  // A preflight for a method the path lacks falls back to routing the OPTIONS request itself.
  if (preflightMethod !== null) return lookupInTree(tree, segments, method, null, relativePath, pathHazard)
  const methods = allowed as Set<string> | null
  if (methods === null) return NOT_FOUND
  if (methods.has('GET')) methods.add('HEAD')
  return { kind: 'method-not-allowed', allow: [...methods].sort().join(', ') }
}

// A reload hands back the same RouterApi for an unchanged API: its route tree is reused too.
const compiledApis = new WeakMap<RouterApi<unknown>, CompiledApi<unknown>>()

function compileApi<T>(api: RouterApi<T>): CompiledApi<T> {
  let compiled = compiledApis.get(api) as CompiledApi<T> | undefined
  if (compiled === undefined) {
    compiled = compileApiTree(api)
    compiledApis.set(api, compiled)
  }
  return compiled
}

function compileApiTree<T>(api: RouterApi<T>): CompiledApi<T> {
  const tree = new RouteNode<Entry<T>>()
  for (const route of api.routes) {
    let parsed
    try {
      parsed = parseTemplate(route.template)
    } catch (error) {
      throw new Error(`API ${api.name}: route ${route.method} ${route.template} ${(error as Error).message}`, { cause: error })
    }
    if (!tree.insert(parsed, route.method, { value: route.value, paramNames: parsed.paramNames })) {
      throw new Error(`API ${api.name}: route ${route.method} ${route.template} is declared twice`)
    }
  }
  const basePath = api.basePath.length > 1 && api.basePath.endsWith('/') ? api.basePath.slice(0, -1) : api.basePath
  return { basePath, tree, catchAll: api.catchAll, unmatched: api.unmatched ?? null }
}

function firstByBase<T>(apis: readonly CompiledApi<T>[], path: string): CompiledApi<T> | null {
  for (const api of apis) {
    if (api.basePath === '/') return api
    if (path.startsWith(api.basePath) && (path.length === api.basePath.length || path.charCodeAt(api.basePath.length) === 47)) return api
  }
  return null
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    return end === -1 ? host : host.slice(0, end + 1)
  }
  const colon = host.indexOf(':')
  return colon === -1 ? host : host.slice(0, colon)
}
