/**
 * Where an OWASP CRS installation keeps its parts, and which release it is. Two layouts, as users
 * get them: a release directory (CRS v4 from coreruleset.org: `crs-setup.conf` or
 * `crs-setup.conf.example` beside `rules/`), and a loader file whose `Include`/`IncludeOptional`
 * lines name the parts in order — Debian's `modsecurity-crs` package (CRS 3.3) ships
 * `/usr/share/modsecurity-crs/owasp-crs.load`, which includes `/etc/modsecurity/crs/crs-setup.conf`,
 * the optional exclusion files there and `rules/*.conf`. The gateway's settings go right after
 * the setup, so the rules read them as they read the setup's own. Also which of a setup's
 * settings turn on what the gateway cannot do (`settingsWithoutEffect`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { readDirectives } from '../../waf/seclang/directives.js'
import { includedFiles, ruleFilesIn, type RuleSet } from '../../waf/rule-set.js'

export interface CrsInstallation {
  /** The CRS release's major version: which variables its rules read (`tx.paranoia_level` in 3, `tx.blocking_paranoia_level` in 4). */
  readonly major: 3 | 4
  /** `3.3.4`, `4.28.0`. */
  readonly release: string
  /** The files to load before the gateway's settings (the setup, and what a loader includes before it). */
  readonly setup: readonly string[]
  /** The files to load after them, in order: the rules, exclusion files. */
  readonly rules: readonly string[]
}

const SETUP_NAMES = ['crs-setup.conf', 'crs-setup.conf.example']
/** Debian's loader, in the package's directory. */
const DEBIAN_LOADER = 'owasp-crs.load'

/**
 * The CRS at `path`: a release directory, a directory holding Debian's `owasp-crs.load`, or a
 * loader file itself. Throws an Error saying what is missing.
 */
export function findCrs(path: string): CrsInstallation {
  let setup: string[]
  let rules: string[]
  if (existsSync(path) && statSync(path).isFile()) [setup, rules] = followLoader(path)
  else {
    const setupFile = SETUP_NAMES.map((name) => join(path, name)).find((file) => existsSync(file))
    if (setupFile !== undefined && existsSync(join(path, 'rules'))) [setup, rules] = [[setupFile], ruleFilesIn(join(path, 'rules'))]
    else if (existsSync(join(path, DEBIAN_LOADER))) [setup, rules] = followLoader(join(path, DEBIAN_LOADER))
    else throw new Error(`${path} has neither crs-setup.conf (or crs-setup.conf.example) with rules/, nor ${DEBIAN_LOADER}`)
  }
  const { major, release } = versionOf(setup, rules)
  return { major, release, setup, rules }
}

/**
 * Every file the CRS at `path` reads — loader, setup, rules, exclusion files and the `.data`
 * files beside the rules — to watch for reload; none when it cannot be found (the policy reports that).
 */
export function crsFiles(path: string): string[] {
  try {
    const { setup, rules } = findCrs(path)
    const loader = existsSync(path) && statSync(path).isFile() ? [path] : [join(path, DEBIAN_LOADER)].filter((file) => existsSync(file))
    const data = [...new Set(rules.map((file) => dirname(file)))].flatMap((dir) =>
      readdirSync(dir)
        .filter((name) => name.endsWith('.data'))
        .map((name) => join(dir, name)),
    )
    return [...loader, ...setup, ...rules, ...data]
  } catch {
    return []
  }
}

/** A loader's included files, split after the setup. Only `Include` and `IncludeOptional` lines are read there. */
function followLoader(loader: string): [string[], string[]] {
  const files: string[] = []
  for (const { name, args, line } of readDirectives(readFileSync(loader, 'utf8'), loader)) {
    const kind = name.toLowerCase()
    if (kind !== 'include' && kind !== 'includeoptional') throw new Error(`${loader}:${line}: a CRS loader file holds Include and IncludeOptional lines only, not ${name}`)
    try {
      files.push(...includedFiles(resolve(dirname(loader), args[0] ?? ''), kind === 'includeoptional'))
    } catch (error) {
      throw new Error(`${loader}:${line}: ${(error as Error).message}`, { cause: error })
    }
  }
  const end = files.findIndex((file) => SETUP_NAMES.includes(basename(file))) + 1
  if (end === 0) throw new Error(`${loader} includes no crs-setup.conf (Debian: /etc/modsecurity/crs/crs-setup.conf, from the modsecurity-crs package)`)
  return [files.slice(0, end), files.slice(end)]
}

/**
 * The release, from the rules' `SecComponentSignature "OWASP_CRS/3.3.4"`, else from the setup's
 * `tx.crs_setup_version` (334, 4280). A setup written for another major version than the rules
 * is refused: its settings would name variables the rules never read.
 */
function versionOf(setup: readonly string[], rules: readonly string[]): { major: 3 | 4; release: string } {
  const signed = firstMatch(rules, /^\s*SecComponentSignature\s+"?OWASP_CRS\/(\d+)\.(\d+)\.(\d+)/im)
  const setupVersion = firstMatch(setup, /^[^#]*setvar:'?tx\.crs_setup_version=(\d)(\d+)/im)
  const release = signed !== null ? `${signed[1]}.${signed[2]}.${signed[3]}` : setupVersion !== null ? `${setupVersion[1]}.x (crs_setup_version ${setupVersion[1]}${setupVersion[2]})` : null
  const major = Number(signed?.[1] ?? setupVersion?.[1])
  if (release === null || (major !== 3 && major !== 4)) throw new Error(`cannot tell which CRS release ${rules[0] ?? setup[0] ?? ''} belongs to (CRS 3 and 4 are supported)`)
  if (signed !== null && setupVersion !== null && signed[1] !== setupVersion[1]) {
    throw new Error(`the setup ${setup.at(-1) ?? ''} is for CRS ${setupVersion[1]} (crs_setup_version ${setupVersion[1]}${setupVersion[2]}), the rules are CRS ${release}`)
  }
  return { major, release }
}

function firstMatch(files: readonly string[], pattern: RegExp): RegExpExecArray | null {
  for (const file of files) {
    const found = pattern.exec(readFileSync(file, 'utf8'))
    if (found !== null) return found
  }
  return null
}

/**
 * CRS 3 settings that turn on what needs more than a request to judge — a GeoIP database, DNS
 * block lists, counts kept per client across requests — which the gateway does not have: the
 * rules load and never match (see docs/waf.md), and a setup that turns them on is warned about.
 */
const WITHOUT_EFFECT: readonly { readonly keys: readonly string[]; readonly what: string }[] = [
  { keys: ['high_risk_country_codes'], what: 'rule 910100 (high-risk countries) needs a GeoIP database, which the gateway has not: it never matches' },
  { keys: ['block_search_ip', 'block_suspicious_ip', 'block_harvester_ip', 'block_spammer_ip'], what: 'rules 910150-910180 (http:BL) need DNS block-list lookups, which the gateway does not make: they never match' },
  { keys: ['do_reput_block'], what: 'rule 910000 (IP reputation) needs client records kept across requests, which the gateway does not keep: it never matches' },
  { keys: ['dos_burst_time_slice', 'dos_counter_threshold', 'dos_block_timeout'], what: 'rules 912120-912170 (DoS) count requests per client across requests, which the gateway does not: use the rate-limit policy' },
]

/** What of `WITHOUT_EFFECT` the rule set's own rules turn on (set to something other than empty or 0). */
export function settingsWithoutEffect(ruleSet: RuleSet): string[] {
  const set = new Set<string>()
  for (const rule of ruleSet.rules.values()) for (const v of rule.setvars) if (v.operation === 'set' && v.value !== '' && v.value !== '0' && v.lowerName !== null) set.add(v.lowerName)
  return WITHOUT_EFFECT.filter(({ keys }) => keys.some((key) => set.has(key))).map(({ what }) => what)
}
