/**
 * `portcullis portal build -c CONFIG -o DIR`: writes the developer portal for the config's APIs
 * as a static site (docs/portal.md). Exit 0 when written, 2 on a usage or config error.
 */
import { changesBetweenFiles } from '../../lifecycle/diff/changes-between-files.js'
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { createConfigLoader } from '../../config/load-config.js'
import { builtinPolicies } from '../../policies/index.js'
import { buildPortalSite } from '../../portal/build-site.js'
import { writeSite } from '../../portal/site-files.js'
import { EXIT_ERROR, EXIT_OK, reportError } from '../report-error.js'
import { UsageError } from '../report-output.js'

interface PortalBuildFlags {
  config: string
  output: string
  title?: string
  includeDrafts?: boolean
}

/** An output folder must be new, empty, or a site built before (whose generated parts are replaced). */
function prepareOutput(dir: string): void {
  if (!existsSync(dir)) return
  if (!statSync(dir).isDirectory()) throw new UsageError(`-o ${dir}: is a file, not a directory`)
  const entries = readdirSync(dir)
  if (entries.length === 0) return
  if (!entries.includes('index.html') || !entries.includes('assets')) {
    throw new UsageError(`-o ${dir}: the directory is not empty and holds no portal site (no index.html and assets/); choose a new or empty directory`)
  }
  for (const generated of ['apis', 'assets', 'index.html', 'errors.html']) rmSync(join(dir, generated), { recursive: true, force: true })
}

function runPortalBuild(flags: PortalBuildFlags): number {
  if (flags.title?.trim() === '') throw new UsageError('--title: must not be empty')
  const loaded = createConfigLoader(builtinPolicies).load(flags.config)
  prepareOutput(flags.output)
  const portal = loaded.config.portal
  const site = buildPortalSite(loaded, {
    title: flags.title ?? portal?.title ?? 'API documentation',
    gettingAccess: portal?.gettingAccess ?? null,
    changelog: changesBetweenFiles,
    nowMs: Date.now(),
    includeDrafts: flags.includeDrafts === true || portal?.includeDrafts === true,
  })
  writeSite(site, flags.output)
  const paths = [...site.keys()]
  const operations = paths.filter((path) => path.includes('/operations/')).length
  const versions = paths.filter((path) => /^apis\/[^/]+\/[^/]+\/index\.html$/.test(path)).length
  process.stdout.write(`${flags.output}: portal written (${versions} API version(s), ${operations} operation page(s), ${site.size} files)\n`)
  return EXIT_OK
}

export function registerPortalCommands(program: Command, setExit: (code: number) => void): void {
  const portal = program.command('portal').description('developer portal: documentation of each operation with what the gateway enforces')
  portal
    .command('build')
    .description('write the developer portal for a config’s APIs as a static site')
    .requiredOption('-c, --config <file>', 'gateway config file (YAML or JSON)')
    .requiredOption('-o, --output <dir>', 'directory to write the site to (new, empty, or a site built before)')
    .option('--title <text>', 'title of the pages (default: portal.title, else "API documentation")')
    .option('--include-drafts', 'publish draft versions too, with a draft banner (default: portal.includeDrafts, else left out)')
    .action((flags: PortalBuildFlags) => {
      try {
        setExit(runPortalBuild(flags))
      } catch (error) {
        if (error instanceof UsageError) {
          process.stderr.write(`error: ${error.message}\n`)
          setExit(EXIT_ERROR)
          return
        }
        setExit(reportError(error, flags.config))
      }
    })
}
