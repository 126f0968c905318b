/**
 * Third-party data and tools some tests need and a fresh clone does not have: the OWASP CRS v4
 * release (`PORTCULLIS_CRS_DIR`, else `../shared/crs/v4.28.0` beside the repository), Debian's
 * sqlmap, Debian's Flask (for a fixture API), Debian's Chromium (the dashboard's browser tests) and Debian's CRS 3.3 package (installed on demand when the tests run as root). Where one
 * is missing the tests that need it are skipped with a one-line reason naming what to set or
 * install (node:test counts them as skipped, never as passed); with `PORTCULLIS_REQUIRE_ALL=1`
 * (CI) a missing one fails them instead.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** The CRS v4 release directory the tests use. */
export const CRS_DIR = process.env.PORTCULLIS_CRS_DIR ?? resolve(import.meta.dirname, '../../../shared/crs/v4.28.0')

const REQUIRE_ALL = process.env.PORTCULLIS_REQUIRE_ALL === '1'

/** A skip reason, or false; throws instead under PORTCULLIS_REQUIRE_ALL=1. */
function unlessPresent(present: boolean, reason: string): string | false {
  if (present) return false
  if (REQUIRE_ALL) throw new Error(`${reason} (PORTCULLIS_REQUIRE_ALL=1: nothing may be skipped)`)
  return reason
}

/** Skip reason for tests that load the CRS rules. */
export const skipWithoutCrsRules = unlessPresent(
  existsSync(join(CRS_DIR, 'rules')),
  `skipped: no OWASP CRS v4 rules at ${CRS_DIR}/rules; set PORTCULLIS_CRS_DIR to a CRS v4.28.0 release directory`,
)

/** Skip reason for tests that replay the CRS regression suite (go-ftw YAML in `regression-tests/`). */
export const skipWithoutCrsRegression = unlessPresent(
  existsSync(join(CRS_DIR, 'rules')) && existsSync(join(CRS_DIR, 'regression-tests')),
  `skipped: no CRS v4 regression suite at ${CRS_DIR}/regression-tests; set PORTCULLIS_CRS_DIR to a directory with rules/ and regression-tests/`,
)

/** Skip reason for the sqlmap test. */
export const skipWithoutSqlmap = unlessPresent(
  existsSync('/usr/share/sqlmap/extra/vulnserver/vulnserver.py') && skipWithoutCrsRules === false,
  skipWithoutCrsRules === false ? 'skipped: sqlmap is not installed (Debian: apt-get install sqlmap)' : skipWithoutCrsRules,
)

/** Skip reason for tests of the Flask fixture API (Debian's python3-flask and python3-jwt under /usr/bin/python3). */
export const skipWithoutFlask = unlessPresent(
  spawnSync('/usr/bin/python3', ['-c', 'import flask, jwt'], { stdio: 'ignore' }).status === 0,
  'skipped: /usr/bin/python3 cannot import flask and jwt; install them with apt-get install python3-flask python3-jwt (the test line does so as root)',
)

/** Where Debian's `modsecurity-crs` package (OWASP CRS 3.3) puts its rules and loader. */
export const DEBIAN_CRS_DIR = '/usr/share/modsecurity-crs'

/**
 * Skip reason for tests of Debian's CRS package. When it is missing and the tests run as root
 * where apt-get is, it is installed first (`apt-get install -y modsecurity-crs`, after
 * `apt-get update` when that fails), as a user would get it.
 */
export function skipWithoutDebianCrs(): string | false {
  const present = () => existsSync(join(DEBIAN_CRS_DIR, 'rules')) && existsSync(join(DEBIAN_CRS_DIR, 'owasp-crs.load'))
  let failure = ''
  if (!present() && process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0) {
    // Two test files may ask at once: the second waits for the first's dpkg lock.
    const apt = (...args: string[]) => spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8', timeout: 900_000 })
    const install = () => (present() ? { status: 0, stderr: '', error: undefined } : apt('install', '-y', '--no-install-recommends', 'modsecurity-crs'))
    let result = install()
    if (result.status !== 0) {
      apt('update')
      result = install()
    }
    if (result.status !== 0) failure = ` (apt-get install -y modsecurity-crs failed: ${(result.stderr || String(result.error ?? '')).trim().split('\n').at(-1) ?? ''})`
  }
  return unlessPresent(present(), `skipped: Debian's OWASP CRS 3.3 is not in ${DEBIAN_CRS_DIR}${failure}; install it with apt-get install modsecurity-crs (as root)`)
}

/** Debian's Chromium, which the dashboard's browser tests drive through playwright-core. */
export const CHROMIUM = process.env.PORTCULLIS_CHROMIUM ?? '/usr/bin/chromium'

/** Skip reason for the dashboard's browser tests (scripts/test-environment.mjs installs Chromium as root). */
export const skipWithoutChromium = unlessPresent(
  existsSync(CHROMIUM),
  `skipped: no Chromium at ${CHROMIUM}; install it with apt-get install chromium (as root; the test environment script does so), or set PORTCULLIS_CHROMIUM to a Chromium binary`,
)
