/** How the CLI tells a user what is wrong: config problems one per line with their path; exit 2. */
import { ConfigError } from '../errors.js'

export const EXIT_OK = 0
export const EXIT_FINDINGS = 1
export const EXIT_ERROR = 2

export function reportError(error: unknown, file: string | null): number {
  if (error instanceof ConfigError) {
    const where = file === null ? '' : `${file}: `
    process.stderr.write(`${where}${error.problems.length} problem(s) [${error.code}]\n`)
    for (const problem of error.problems) process.stderr.write(`  ${problem.path === '' ? '' : `${problem.path}: `}${problem.message}\n`)
    return EXIT_ERROR
  }
  process.stderr.write(`error: ${(error as Error).message}\n`)
  return EXIT_ERROR
}
