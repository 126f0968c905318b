/**
 * The package's own root (where its package.json is), whether this module runs from the
 * TypeScript sources (`src/`) or from the compiled build (`dist/src/`): files the package ships
 * beside its code (package.json, examples/) are found from here, not by a fixed `../..`.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot(start: string): string {
  let dir = start
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'examples'))) return dir
    dir = dirname(dir)
  }
  throw new Error(`portcullis: cannot find the package root above ${start}`)
}

export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)))
