/**
 * What an `apis` entry is among the versions of its API: the name it goes by in metrics, logs,
 * events and its policies' state, and — when versions share its hosts and base path — how a
 * request selects it. Derived from a config that passed its checks (check-versions.ts).
 */
import type { SelectorSpec } from '../router/version-selector.js'
import { DEFAULT_VERSION_HEADER, DEFAULT_VERSION_PARAMETER, type VersioningConfig } from './versioning-schema.js'

/** What these derivations read of an `apis` entry. */
export interface ApiEntry {
  readonly name: string
  readonly version?: string | undefined
  readonly hosts: readonly string[]
  readonly basePath: string
  readonly versioning?: VersioningConfig | undefined
  readonly lifecycle: { readonly state: string }
}

/** How requests select one version at a shared path. */
export interface ApiVersioning {
  readonly spec: SelectorSpec
  readonly label: string
  readonly isDefault: boolean
  /** The label of the version a request that names none gets, or null when naming one is required. */
  readonly defaultLabel: string | null
  /** The versions at the same path that clients are told about (drafts left out), in config order. */
  readonly listed: readonly string[]
}

/** The selector a `versioning` block describes, its defaults filled. */
export function selectorSpecOf(versioning: VersioningConfig): SelectorSpec {
  if (versioning.by === 'header') return { kind: 'header', header: versioning.header ?? DEFAULT_VERSION_HEADER }
  if (versioning.vendorType !== undefined) return { kind: 'vendor', vendorType: versioning.vendorType }
  return { kind: 'media-type', parameter: versioning.parameter ?? DEFAULT_VERSION_PARAMETER }
}

/**
 * Each entry's name in metrics, logs and events: its `name`, or `name@version` when other entries
 * share the name (its other versions), so two versions never mix their counters or state.
 */
export function apiIdentities(apis: readonly ApiEntry[]): string[] {
  const counts = new Map<string, number>()
  for (const api of apis) counts.set(api.name, (counts.get(api.name) ?? 0) + 1)
  return apis.map((api) => ((counts.get(api.name) ?? 0) > 1 && api.version !== undefined ? `${api.name}@${api.version}` : api.name))
}

/** How requests select `apis[index]`, or null when its path alone routes to it. */
export function versioningOf(apis: readonly ApiEntry[], index: number): ApiVersioning | null {
  const api = apis[index]
  if (api?.versioning === undefined || api.version === undefined) return null
  const mount = mountOf(api)
  const mounted = apis.filter((other) => other.name === api.name && other.versioning !== undefined && mountOf(other) === mount)
  const defaultLabel = api.versioning.default ?? null
  return {
    spec: selectorSpecOf(api.versioning),
    label: api.version,
    isDefault: defaultLabel !== null && defaultLabel.toLowerCase() === api.version.toLowerCase(),
    defaultLabel,
    listed: mounted.filter((other) => other.lifecycle.state !== 'draft').map((other) => other.version ?? ''),
  }
}

/** Where an entry is served: its hosts (in any order and case) and base path. */
function mountOf(api: ApiEntry): string {
  return `${[...new Set(api.hosts.map((h) => h.toLowerCase()))].sort().join(',')} ${mountPath(api.basePath)}`
}

/** A base path as the router compares it: without a trailing slash. */
export function mountPath(basePath: string): string {
  return basePath.replace(/\/$/, '') || '/'
}
