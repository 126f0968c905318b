/**
 * The route table: APIs by host and base path, then routes by method and path template.
 * Versions of an API that share a host and base path form one mount, where the request's
 * header or `Accept` picks the version (version-selector.ts); every other mount costs nothing
 * for it. Built once per config load; lookups allocate only the parameter object.
 */
import { splitPath, type PathHazard } from './normalize-path.js'
import { parseTemplate } from './path-template.js'
import { RouteNode } from './route-tree.js'
import { NO_VERSION, UNKNOWN_VERSION, type RequestHeaders, type VersionRefusal, type VersionSelector } from './version-selector.js'

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
  /** Set when the API is one of several versions at its hosts and base path, told apart by `selector`. */
  version?: RouterVersion | null
}

/** An API's place among the versions mounted with it. */
export interface RouterVersion {
  /** The same selector behaviour on every version of the mount (the config checks see to it); the first one's is used. */
  readonly selector: VersionSelector
  readonly label: string
  /** Routed to when the request names no version. */
  readonly isDefault: boolean
  /** Named in the answer to an unknown version (false for drafts, which must look absent). */
  readonly listed: boolean
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
  /** `vary`: the field the version was chosen by, when the path was looked up among one version's routes. */
  | { kind: 'not-found'; unmatched?: Unmatched<T>; vary?: string }
  | { kind: 'method-not-allowed'; allow: string; unmatched?: Unmatched<T>; vary?: string }
  | { kind: 'bad-path' }
  /** The mount's versions are told apart by a header or `Accept`, and the request names none of them (or none where one is required). */
  | { kind: 'version-refused'; refusal: VersionRefusal }

interface Entry<T> {
  value: T
  paramNames: readonly string[]
}

interface CompiledApi<T> {
  kind: 'api'
  basePath: string
  tree: RouteNode<Entry<T>>
  catchAll: T | null
  unmatched: T | null
}

/** Versions sharing a host and base path. */
interface VersionMount<T> {
  kind: 'versions'
  basePath: string
  selector: VersionSelector
  /** By lower-case label. */
  byLabel: Map<string, CompiledApi<T>>
  fallback: CompiledApi<T> | null
  /** A CORS preflight names no version (browsers send no custom field values in it): the default, else the first listed version. */
  preflight: CompiledApi<T>
  required: { kind: 'version-refused'; refusal: VersionRefusal }
  unknown: { kind: 'version-refused'; refusal: VersionRefusal }
  /** Versions left out of the answer to an unknown one (drafts): a path or method they lack answers as an unknown version too, not 404/405 with their `Allow`. */
  unlisted: ReadonlySet<CompiledApi<T>>
}

type Mount<T> = CompiledApi<T> | VersionMount<T>

const NOT_FOUND = { kind: 'not-found' } as const
const BAD_PATH = { kind: 'bad-path' } as const
const NO_HEADERS: RequestHeaders = {}

export interface Router<T> {
  /** `headers` are read only on a mount whose versions a header or `Accept` tells apart. */
  lookup(host: string | undefined, method: string, path: string, preflightMethod: string | null, headers?: RequestHeaders): RouteLookup<T>
}

/** Builds the table; throws with a message naming the API and route on a conflict. */
export function createRouter<T>(apis: readonly RouterApi<T>[]): Router<T> {
  const byHost = new Map<string, Mount<T>[]>()
  const wildcard: { suffix: string; apis: Mount<T>[] }[] = []
  const anyHost: Mount<T>[] = []

  const place = (host: string | null, mount: Mount<T>) => {
    if (host === null) return void anyHost.push(mount)
    const name = stripPort(host.toLowerCase())
    if (name.startsWith('*.')) {
      const suffix = name.slice(1)
      let group = wildcard.find((w) => w.suffix === suffix)
      if (group === undefined) wildcard.push((group = { suffix, apis: [] }))
      group.apis.push(mount)
    } else {
      let group = byHost.get(name)
      if (group === undefined) byHost.set(name, (group = []))
      group.push(mount)
    }
  }
  const versioned = new Map<string, { host: string | null; members: [RouterApi<T>, RouterVersion, CompiledApi<T>][] }>()
  for (const api of apis) {
    const compiled = compileApi(api)
    const version = api.version ?? null
    for (const host of api.hosts.length === 0 ? [null] : api.hosts) {
      if (version === null) {
        place(host, compiled)
        continue
      }
      const key = `${host === null ? '' : stripPort(host.toLowerCase())}\u0000${compiled.basePath}`
      let mount = versioned.get(key)
      if (mount === undefined) versioned.set(key, (mount = { host, members: [] }))
      mount.members.push([api, version, compiled])
    }
  }
  for (const { host, members } of versioned.values()) place(host, buildVersionMount(members))

  const byLongestBase = (a: Mount<T>, b: Mount<T>) => b.basePath.length - a.basePath.length
  for (const group of byHost.values()) group.sort(byLongestBase)
  for (const group of wildcard) group.apis.sort(byLongestBase)
  wildcard.sort((a, b) => b.suffix.length - a.suffix.length)
  anyHost.sort(byLongestBase)

  function findApi(host: string, path: string): Mount<T> | null {
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
    lookup(hostHeader, method, path, preflightMethod, headers = NO_HEADERS) {
      const mount = findApi(stripPort((hostHeader ?? '').toLowerCase()), path)
      if (mount === null) return NOT_FOUND
      let api: CompiledApi<T>
      if (mount.kind === 'api') api = mount
      else {
        const chosen = mount.selector.choose(headers, mount.byLabel)
        if (chosen === UNKNOWN_VERSION) return mount.unknown
        if (chosen !== NO_VERSION) api = chosen
        else if (mount.fallback !== null) api = mount.fallback
        else if (preflightMethod !== null) api = mount.preflight
        else return mount.required
      }
      const relativePath = api.basePath === '/' ? path : path.slice(api.basePath.length) || '/'
      const split = splitPath(relativePath)
      if (split === null) return BAD_PATH
      if (api.catchAll !== null) return { kind: 'match', value: api.catchAll, params: {}, isPreflight: false, relativePath, pathHazard: split.hazard }
      const found = lookupInTree(api.tree, split.segments, method, preflightMethod, relativePath, split.hazard)
      if (found.kind === 'match' || (api.unmatched === null && mount.kind === 'api')) return found
      if (mount.kind === 'versions' && mount.unlisted.has(api)) return mount.unknown
      return { ...found, ...(api.unmatched !== null && { unmatched: { value: api.unmatched, relativePath } }), ...(mount.kind === 'versions' && { vary: mount.selector.vary }) }
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
  return { kind: 'api', basePath, tree, catchAll: api.catchAll, unmatched: api.unmatched ?? null }
}

function buildVersionMount<T>(members: readonly [RouterApi<T>, RouterVersion, CompiledApi<T>][]): VersionMount<T> {
  const [first] = members as [[RouterApi<T>, RouterVersion, CompiledApi<T>]]
  const selector = first[1].selector
  const byLabel = new Map<string, CompiledApi<T>>()
  let fallback: CompiledApi<T> | null = null
  for (const [api, version, compiled] of members) {
    const key = version.label.toLowerCase()
    if (byLabel.has(key)) throw new Error(`API ${api.name}: version ${version.label} is mounted twice at ${compiled.basePath}`)
    byLabel.set(key, compiled)
    if (version.isDefault) fallback = compiled
  }
  const listed = members.filter(([, version]) => version.listed)
  const labels = listed.map(([, version]) => version.label)
  return {
    kind: 'versions',
    basePath: first[2].basePath,
    selector,
    byLabel,
    fallback,
    preflight: fallback ?? (listed[0] ?? first)[2],
    required: { kind: 'version-refused', refusal: selector.refusal('required', labels) },
    unknown: { kind: 'version-refused', refusal: selector.refusal('unknown', labels) },
    unlisted: new Set(members.filter(([, version]) => !version.listed).map(([, , compiled]) => compiled)),
  }
}

function firstByBase<T>(apis: readonly Mount<T>[], path: string): Mount<T> | null {
  for (const api of apis) {
    if (api.basePath === '/') return api
    if (path.startsWith(api.basePath) && (path.length === api.basePath.length || path.charCodeAt(api.basePath.length) === 47)) return api
  }
  return null
}

export function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    return end === -1 ? host : host.slice(0, end + 1)
  }
  const colon = host.indexOf(':')
  return colon === -1 ? host : host.slice(0, colon)
}
