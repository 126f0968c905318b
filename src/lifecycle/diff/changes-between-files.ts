/** The diff of two documents read from their files, synchronously (the portal's changelog, built once per config load). */
import { readFileSync } from 'node:fs'
import { readSpecSource } from '../../audit/spec-source.js'
import { diffSpecs } from './diff-specs.js'
import type { DiffChange } from './diff-types.js'

/** Every change from `oldFile`'s document to `newFile`'s; throws when a file cannot be read or is not a document. */
export function changesBetweenFiles(oldFile: string, newFile: string): readonly DiffChange[] {
  return diffSpecs(readSpecSource(oldFile, readFileSync(oldFile, 'utf8')), readSpecSource(newFile, readFileSync(newFile, 'utf8'))).changes
}
