/**
 * Third-party data and tools some tests need and a fresh clone does not have: the OWASP CRS v4
 * release (`PORTCULLIS_CRS_DIR`, else `../shared/crs/v4.28.0` beside the repository) and
 * Debian's sqlmap. Where one is missing the tests that need it are skipped with a one-line
 * reason naming what to set or install (node:test counts them as skipped, never as passed);
 * with `PORTCULLIS_REQUIRE_ALL=1` (CI) a missing one fails them instead.
 */
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
