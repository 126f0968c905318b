/**
 * The gateway's memory of each API's OpenAPI document as it was last loaded, so a reload can say
 * what it breaks for clients: the diff engine compares the text kept here with the file's new
 * text (the file itself has already changed). Documents above MAX_DOCUMENT_BYTES are not kept:
 * comparing them would hold the event loop for seconds; their reloads are not checked (logged).
 */
import { readFileSync } from 'node:fs'
import { readSpecSource } from '../audit/spec-source.js'
import { diffSpecs } from './diff/diff-specs.js'
import type { DiffChange } from './diff/diff-types.js'

const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024

export interface DocumentChanges {
  /** The API's name, with its version when it has one (`orders v2`). */
  readonly api: string
  readonly index: number
  readonly file: string
  readonly breaking: readonly DiffChange[]
  readonly possiblyBreaking: readonly DiffChange[]
}

interface Described {
  readonly name: string
  readonly version?: string | undefined
  readonly openapi?: string | undefined
}

/** Versions of one API share its name: each version's document is remembered on its own. */
function keyOf(api: Described): string {
  return api.version === undefined ? api.name : `${api.name} ${api.version}`
}

export class DocumentHistory {
  #texts = new Map<string, { file: string; text: string }>()

  /** Keeps the current text of each API's document (after a load was applied). */
  remember(apis: readonly Described[]): void {
    const texts = new Map<string, { file: string; text: string }>()
    for (const api of apis) {
      const text = api.openapi === undefined ? null : readBounded(api.openapi)
      if (api.openapi !== undefined && text !== null) texts.set(keyOf(api), { file: api.openapi, text })
    }
    this.#texts = texts
  }

  /** What each API's document as `apis` name it changes for clients, against what was remembered; APIs whose text did not change are left out. */
  changes(apis: readonly Described[]): { changes: DocumentChanges[]; unchecked: string[] } {
    const changes: DocumentChanges[] = []
    const unchecked: string[] = []
    apis.forEach((api, index) => {
      const before = this.#texts.get(keyOf(api))
      if (api.openapi === undefined || before === undefined) return
      const text = readBounded(api.openapi)
      if (text === null) return void unchecked.push(keyOf(api))
      if (text === before.text && api.openapi === before.file) return
      try {
        const report = diffSpecs(readSpecSource(before.file, before.text), readSpecSource(api.openapi, text))
        changes.push({
          api: keyOf(api),
          index,
          file: api.openapi,
          breaking: report.changes.filter((c) => c.level === 'error'),
          possiblyBreaking: report.changes.filter((c) => c.level === 'warning'),
        })
      } catch {
        // A document the loader accepted but the diff cannot read: the load's own checks speak for it.
        unchecked.push(keyOf(api))
      }
    })
    return { changes, unchecked }
  }
}

function readBounded(file: string): string | null {
  try {
    const text = readFileSync(file, 'utf8')
    return Buffer.byteLength(text) > MAX_DOCUMENT_BYTES ? null : text
  } catch {
    return null
  }
}
