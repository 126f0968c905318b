/**
 * The dashboard's files: `web/` of the package (plain ES modules and CSS, no build step) and
 * uPlot's browser build from node_modules (resolved like an import, never a CDN), read once into
 * memory when the dashboard starts. Only these files are served; a path is a key, never joined
 * onto the file system.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join, relative, sep } from 'node:path'
import { PACKAGE_ROOT } from '../../package-root.js'

export interface Asset {
  readonly body: Buffer
  readonly type: string
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
}
const MAX_FILES = 200
const MAX_TOTAL_BYTES = 8 * 1024 * 1024

export const WEB_DIR = join(PACKAGE_ROOT, 'web')

/** `assets/…` paths (as under /dashboard/) to their contents, plus `index.html`. */
export function loadDashboardAssets(webDir: string = WEB_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>()
  let total = 0
  const add = (key: string, file: string) => {
    const type = TYPES[extname(file)]
    if (type === undefined) return
    if (assets.size >= MAX_FILES) throw new Error(`the dashboard has more than ${MAX_FILES} files in ${webDir}`)
    const body = readFileSync(file)
    total += body.length
    if (total > MAX_TOTAL_BYTES) throw new Error(`the dashboard's files in ${webDir} exceed ${MAX_TOTAL_BYTES} bytes`)
    assets.set(key, { body, type })
  }
  const walk = (dir: string, depth: number) => {
    if (depth > 4) return
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name)
      if (statSync(file).isDirectory()) walk(file, depth + 1)
      else add(relative(webDir, file).split(sep).join('/'), file)
    }
  }
  walk(webDir, 0)
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'))
  add('vendor/uplot.js', join(uplot, 'dist', 'uPlot.esm.js'))
  add('vendor/uplot.css', join(uplot, 'dist', 'uPlot.min.css'))
  return assets
}
