/**
 * The checks across `apis` entries: names and version labels, and what serves each host and base
 * path. Entries that share a name are versions of one API; several of them may share a host and
 * base path only when the same `versioning` block tells them apart (docs/lifecycle.md).
 */
import type { ConfigProblem } from '../errors.js'
import { mountPath, selectorSpecOf, type ApiEntry } from './api-versions.js'
import { formatPath } from './format-path.js'
import { SELECTABLE_VERSION, type VersioningConfig } from './versioning-schema.js'
import { stripPort } from '../router/router.js'

/** Every problem with the entries' names, versions, mounts and versioning blocks, each with its path, once. */
export function checkVersions(apis: readonly ApiEntry[]): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const report = (index: number, field: string, message: string) => problems.push({ path: formatPath(['apis', index, ...field.split('.')]), message })
  apis.forEach((api, index) => checkBlock(api, (field, message) => report(index, field, message)))
  checkNames(apis, report)
  checkMounts(apis, report)
  const seen = new Set<string>()
  return problems.filter((p) => !seen.has(`${p.path}\u0000${p.message}`) && seen.add(`${p.path}\u0000${p.message}`))
}

type Report = (index: number, field: string, message: string) => void

function checkBlock(api: ApiEntry, report: (field: string, message: string) => void): void {
  const block = api.versioning
  if (block === undefined) return
  if (block.by === 'header') {
    if (block.parameter !== undefined) report('versioning.parameter', 'applies only with by: media-type')
    if (block.vendorType !== undefined) report('versioning.vendorType', 'applies only with by: media-type')
  } else {
    if (block.header !== undefined) report('versioning.header', 'applies only with by: header')
    if (block.parameter !== undefined && block.vendorType !== undefined) report('versioning.vendorType', 'must not be set together with parameter: a version is named one way')
  }
  if (api.version === undefined) report('version', 'is required with versioning: it is the label requests name')
  else if (!SELECTABLE_VERSION.test(api.version)) report('version', 'must be letters, digits, `.`, `_` or `-` (starting with a letter or digit) to be named in a header or media type')
}

function describe(apis: readonly ApiEntry[], index: number): string {
  const api = apis[index] as ApiEntry
  return `apis[${index}] (${api.name}${api.version === undefined ? '' : ` ${api.version}`})`
}

/** Entries that share a name are its versions: each needs a label of its own. */
function checkNames(apis: readonly ApiEntry[], report: Report): void {
  const first = new Map<string, number>()
  const labels = new Map<string, number>()
  apis.forEach((api, index) => {
    const earlier = first.get(api.name)
    if (earlier === undefined) first.set(api.name, index)
    else if (api.version === undefined || (apis[earlier] as ApiEntry).version === undefined) {
      report(index, 'name', `duplicates the name of ${describe(apis, earlier)}: entries that share a name are versions of one API, each with its own \`version\``)
    }
    if (api.version === undefined) return
    const key = `${api.name}\u0000${api.version.toLowerCase()}`
    const same = labels.get(key)
    if (same === undefined) labels.set(key, index)
    else report(index, 'version', `duplicates the version of ${describe(apis, same)} (labels are compared without regard to case)`)
  })
}

/** What serves each host and base path: one API, or versions of one API told apart by one selector. */
function checkMounts(apis: readonly ApiEntry[], report: Report): void {
  const mounts = new Map<string, number[]>()
  apis.forEach((api, index) => {
    for (const host of api.hosts.length === 0 ? ['*'] : api.hosts) {
      // As the router places them: `api.example.com:8443` and `api.example.com` are one host.
      const key = `${stripPort(host.toLowerCase())} ${mountPath(api.basePath)}`
      const list = mounts.get(key)
      if (list === undefined) mounts.set(key, [index])
      else list.push(index)
    }
  })
  for (const [key, members] of mounts) {
    const host = key.slice(0, key.indexOf(' '))
    const [head, ...rest] = members as [number, ...number[]]
    const first = apis[head] as ApiEntry
    for (const index of rest) {
      const api = apis[index] as ApiEntry
      if (api.name !== first.name) report(index, 'basePath', `another API already serves ${api.basePath} on host ${host} (${describe(apis, head)})`)
      else if (api.versioning === undefined || first.versioning === undefined) {
        report(index, 'basePath', `${describe(apis, head)} already serves ${api.basePath} on host ${host}: versions at the same path need a \`versioning\` block (the same on each) to tell them apart`)
      } else {
        if (!sameSelection(api.versioning, first.versioning)) report(index, 'versioning', `must be the same as apis[${head}].versioning: the versions at ${api.basePath} share one selector and default`)
        if (!sameHosts(api.hosts, first.hosts)) report(index, 'hosts', `must be the same as apis[${head}].hosts: versions told apart by versioning share their hosts and base path`)
      }
    }
    checkDefault(apis, members, report)
  }
}

/** The default of a mount's versioning names one of its versions, and not a draft. */
function checkDefault(apis: readonly ApiEntry[], members: readonly number[], report: Report): void {
  const versioned = members.filter((index) => apis[index]?.versioning !== undefined && apis[index].name === apis[members[0] as number]?.name)
  const head = versioned[0]
  const wanted = head === undefined ? undefined : apis[head]?.versioning?.default
  if (head === undefined || wanted === undefined) return
  const chosen = versioned.find((index) => apis[index]?.version?.toLowerCase() === wanted.toLowerCase())
  if (chosen === undefined) report(head, 'versioning.default', `names no version at ${apis[head]?.basePath ?? '/'} (its versions: ${versioned.map((index) => apis[index]?.version ?? '?').join(', ')})`)
  else if (apis[chosen]?.lifecycle.state === 'draft') report(head, 'versioning.default', `names a draft version (${describe(apis, chosen)}), which is served only to its preview consumers`)
}

function sameSelection(a: VersioningConfig, b: VersioningConfig): boolean {
  // Field and parameter names are case-insensitive, vendor types lower-case, labels compared without case.
  return JSON.stringify(selectorSpecOf(a)).toLowerCase() === JSON.stringify(selectorSpecOf(b)).toLowerCase() && (a.default ?? '').toLowerCase() === (b.default ?? '').toLowerCase()
}

function sameHosts(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a.map((h) => h.toLowerCase()))
  return left.size === new Set(b.map((h) => h.toLowerCase())).size && b.every((h) => left.has(h.toLowerCase()))
}
