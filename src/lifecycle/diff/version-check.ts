/**
 * Whether `info.version` moved as semver (semver.org) asks for the changes found: a breaking change
 * needs a major bump (below 1.0.0 a minor one, §4), any other change a minor bump (below 1.0.0 a
 * patch). Versions that are not `MAJOR.MINOR[.PATCH]` (a leading `v` and pre-release or build
 * suffixes allowed) are not judged.
 */
import type { DiffContext } from './diff-context.js'
import type { DiffChange } from './diff-types.js'

interface Semver {
  readonly major: number
  readonly minor: number
  readonly patch: number
}

const BUMPS = ['none', 'patch', 'minor', 'major'] as const
type Bump = (typeof BUMPS)[number]

/** Changes that say nothing about the API itself. */
const NOT_API_CHANGES = new Set(['api-version-changed', 'api-version-not-bumped', 'diff-truncated'])

export function parseSemver(version: unknown): Semver | undefined {
  if (typeof version !== 'string') return undefined
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.+-]*)?$/.exec(version.trim())
  if (!match) return undefined
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) }
}

/** The bump from `before` to `after`, in the role semver gives each number below 1.0.0. */
export function bumpBetween(before: Semver, after: Semver): Bump {
  if (after.major !== before.major) return after.major > before.major ? 'major' : 'none'
  if (after.minor !== before.minor) return after.minor > before.minor ? (before.major === 0 ? 'major' : 'minor') : 'none'
  if (after.patch !== before.patch) return after.patch > before.patch ? (before.major === 0 ? 'minor' : 'patch') : 'none'
  return 'none'
}

export function diffVersion(context: DiffContext, changes: readonly DiffChange[]): void {
  const before = context.old.document.info
  const after = context.new.document.info
  const oldVersion = typeof before === 'object' && before !== null ? (before as { version?: unknown }).version : undefined
  const newVersion = typeof after === 'object' && after !== null ? (after as { version?: unknown }).version : undefined
  const places = { oldPath: ['info', 'version'], newPath: ['info', 'version'] }
  if (oldVersion !== newVersion) context.changes.add('api-version-changed', `info.version changed from ${String(oldVersion)} to ${String(newVersion)}`, places)
  const apiChanges = changes.filter((change) => !NOT_API_CHANGES.has(change.id))
  if (apiChanges.length === 0) return
  const oldSemver = parseSemver(oldVersion)
  const newSemver = parseSemver(newVersion)
  if (oldSemver === undefined || newSemver === undefined) return
  const breaking = apiChanges.some((change) => change.level === 'error')
  const needed: Bump = breaking ? 'major' : 'minor'
  const made = bumpBetween(oldSemver, newSemver)
  if (BUMPS.indexOf(made) >= BUMPS.indexOf(needed)) return
  const what = breaking ? `${String(apiChanges.filter((change) => change.level === 'error').length)} breaking change(s) need a major version` : `${String(apiChanges.length)} compatible change(s) need at least a minor version`
  const zeroNote = oldSemver.major === 0 ? ' (below 1.0.0: the minor number is the major)' : ''
  context.changes.add('api-version-not-bumped', `${what}${zeroNote}; info.version went from ${String(oldVersion)} to ${String(newVersion)}`, { ...places, level: breaking ? 'error' : 'warning' })
}
