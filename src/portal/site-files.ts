/**
 * A portal site on disk: written by `portcullis portal build`, read back whole by the gateway
 * when `portal.dir` is set. Reading is bounded (file count and total size) and takes only files
 * whose paths a site may have, so what the gateway serves is an in-memory map: no request ever
 * reaches the file system.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { PortalSite } from './build-site.js'
import { isSitePath } from './site-policy.js'

const MAX_FILES = 20000

export function writeSite(site: PortalSite, dir: string): void {
  for (const [path, content] of site) {
    const file = join(dir, ...path.split('/'))
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, content)
  }
}

/** Reads a built site; throws an Error saying what is wrong (too large, unreadable). Symbolic links and other names are skipped. */
export function readSite(dir: string, maxBytes: number): PortalSite {
  const site: PortalSite = new Map()
  let total = 0
  const pending: string[] = ['']
  for (let prefix = pending.pop(); prefix !== undefined; prefix = pending.pop()) {
    for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`
      if (entry.isDirectory()) {
        if (/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(entry.name)) pending.push(path)
        continue
      }
      if (!entry.isFile() || !isSitePath(path)) continue
      const file = join(dir, path)
      const size = lstatSync(file).size
      total += size
      if (total > maxBytes) throw new Error(`the site in ${dir} is larger than portal.maxSiteBytes (${maxBytes} bytes)`)
      if (site.size >= MAX_FILES) throw new Error(`the site in ${dir} has more than ${MAX_FILES} files`)
      site.set(path, readFileSync(file))
    }
  }
  if (!site.has('index.html')) throw new Error(`${dir} has no index.html: build it with portcullis portal build`)
  return site
}
