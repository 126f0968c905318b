/**
 * `portcullis waf regression` with this repository's defaults: the CRS v4.28.0 beside it and its
 * overrides file. Usage: node --import tsx scripts/crs-regression.ts [--crs DIR] [--only 942100] [--verbose]
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { formatSuiteReport } from '../src/cli/commands/waf.js'
import { runCrsSuite } from '../src/waf/conformance/run-suite.js'

const { values } = parseArgs({
  options: {
    crs: { type: 'string', default: resolve(import.meta.dirname, '../../shared/crs/v4.28.0') },
    overrides: { type: 'string', default: resolve(import.meta.dirname, '../test/fixtures/waf/crs-overrides.yaml') },
    only: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
})
const report = runCrsSuite(values.crs, values.overrides, values.only)
process.stdout.write(formatSuiteReport(report, values.verbose))
process.exitCode = report.failed.length === 0 ? 0 : 1
