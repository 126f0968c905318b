/**
 * `portcullis diff OLD NEW`: the changes between two API documents (OpenAPI 3.0/3.1 or Swagger
 * 2.0), each breaking (error), possibly breaking (warning) or compatible (info), as text, JSON, a
 * Markdown changelog, SARIF or JUnit. Exit 0 when no change is at or above `--fail-on` (default
 * error), 1 when one is, 2 on a usage error or a document that cannot be read.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { readSpecSource, SpecInputError, type SpecSource } from '../../audit/spec-source.js'
import { diffSpecs } from '../../lifecycle/diff/diff-specs.js'
import { DIFF_LEVELS, levelRank, type DiffLevel, type DiffReport } from '../../lifecycle/diff/diff-types.js'
import { formatDiffJson } from '../formatters/diff-json.js'
import { formatDiffJunit } from '../formatters/diff-junit.js'
import { formatDiffMarkdown } from '../formatters/diff-markdown.js'
import { formatDiffSarif } from '../formatters/diff-sarif.js'
import { formatDiffText } from '../formatters/diff-text.js'
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK } from '../report-error.js'
import { PORTCULLIS_VERSION } from '../version.js'

export const DIFF_FORMATS = ['text', 'json', 'markdown', 'sarif', 'junit'] as const
type DiffFormat = (typeof DIFF_FORMATS)[number]
const FAIL_ON = [...DIFF_LEVELS.filter((level) => level !== 'info'), 'never'] as const
type FailOn = (typeof FAIL_ON)[number]

/** Larger documents are refused rather than risking the process (as `audit`). */
const MAX_SPEC_BYTES = 256 * 1024 * 1024

interface DiffFlags {
  format: string
  output?: string
  failOn: string
  color: boolean
}

/** A mistake on the command line or a file that cannot be read: `error: …`, exit 2. */
class DiffUsageError extends Error {}

function readDocument(file: string): SpecSource {
  try {
    if (statSync(file).size > MAX_SPEC_BYTES) throw new DiffUsageError(`${file}: larger than ${String(MAX_SPEC_BYTES / 1024 / 1024)} MB`)
    return readSpecSource(file, readFileSync(file, 'utf8'))
  } catch (error) {
    if (error instanceof DiffUsageError) throw error
    if (error instanceof SpecInputError) throw new DiffUsageError(error.message, { cause: error })
    const code = (error as NodeJS.ErrnoException).code
    throw new DiffUsageError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message}`, { cause: error })
  }
}

function format(report: DiffReport, flags: DiffFlags): string {
  const colour = flags.color && flags.output === undefined && process.stdout.isTTY && process.env.NO_COLOR === undefined
  switch (flags.format as DiffFormat) {
    case 'json':
      return formatDiffJson(report)
    case 'markdown':
      return formatDiffMarkdown(report)
    case 'sarif':
      return formatDiffSarif(report, PORTCULLIS_VERSION)
    case 'junit':
      return formatDiffJunit(report, flags.failOn as FailOn)
    case 'text':
      return formatDiffText(report, { colour })
  }
}

/** 1 when a change is at or above the fail level; `never` never fails. */
export function diffExitCode(report: DiffReport, failOn: DiffLevel | 'never'): number {
  if (failOn === 'never') return EXIT_OK
  return report.changes.some((change) => levelRank(change.level) <= levelRank(failOn)) ? EXIT_FINDINGS : EXIT_OK
}

function runDiff(oldFile: string, newFile: string, flags: DiffFlags): number {
  if (!(DIFF_FORMATS as readonly string[]).includes(flags.format)) throw new DiffUsageError(`--format: must be one of ${DIFF_FORMATS.join(', ')} (got "${flags.format}")`)
  if (!(FAIL_ON as readonly string[]).includes(flags.failOn)) throw new DiffUsageError(`--fail-on: must be one of ${FAIL_ON.join(', ')} (got "${flags.failOn}")`)
  const report = diffSpecs(readDocument(oldFile), readDocument(newFile))
  const text = format(report, flags)
  if (flags.output === undefined) process.stdout.write(text)
  else {
    try {
      writeFileSync(flags.output, text)
    } catch (error) {
      throw new DiffUsageError(`--output ${flags.output}: ${(error as Error).message}`, { cause: error })
    }
  }
  return diffExitCode(report, flags.failOn as FailOn)
}

export function registerDiffCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('diff')
    .description('breaking changes between two OpenAPI 3.0/3.1 or Swagger 2.0 documents')
    .argument('<old>', 'the published document (YAML or JSON)')
    .argument('<new>', 'the document that replaces it')
    .option('-f, --format <format>', `report format: ${DIFF_FORMATS.join(', ')}`, 'text')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <level>', `exit 1 when a change is at or above this level: ${FAIL_ON.join(', ')}`, 'error')
    .option('--no-color', 'no colours in the text report')
    .action((oldFile: string, newFile: string, flags: DiffFlags) => {
      try {
        setExit(runDiff(oldFile, newFile, flags))
      } catch (error) {
        if (!(error instanceof DiffUsageError)) throw error
        process.stderr.write(`error: ${error.message}\n`)
        setExit(EXIT_ERROR)
      }
    })
}
