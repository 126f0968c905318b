/**
 * An OpenAPI or Swagger document as the auditor reads it: the parsed value, its format and where
 * each value sits in the source text. Swagger 2.0 is not rewritten; rules read it through the
 * format-neutral operation view (`operations.ts`), so every location points into the file the
 * user wrote.
 */
import { LineCounter, parseDocument } from 'yaml'
import { jsonPositions, yamlPositions, type PositionLocator } from './source-positions.js'

export type SpecFormat = 'oas2' | 'oas3.0' | 'oas3.1'

export interface SpecSource {
  /** As given by the user: for messages and reports. */
  readonly file: string
  readonly format: SpecFormat
  readonly document: Record<string, unknown>
  readonly positions: PositionLocator
}

/** The text is not a document the auditor can read; `line`/`column` say where when known. */
export class SpecInputError extends Error {
  readonly file: string
  /** What is wrong and, when known, where: `line:column: message`. */
  readonly detail: string

  constructor(file: string, message: string, position?: { line: number; column: number }) {
    const detail = position ? `${String(position.line)}:${String(position.column)}: ${message}` : message
    super(position ? `${file}:${detail}` : `${file}: ${detail}`)
    this.name = 'SpecInputError'
    this.file = file
    this.detail = detail
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function formatOf(file: string, document: Record<string, unknown>): SpecFormat {
  const swagger = document.swagger
  const openapi = document.openapi
  if (swagger === '2.0') return 'oas2'
  if (typeof openapi === 'string' && /^3\.0(\.\d+)?$/.test(openapi)) return 'oas3.0'
  if (typeof openapi === 'string' && /^3\.1(\.\d+)?$/.test(openapi)) return 'oas3.1'
  const found = openapi === undefined ? (swagger === undefined ? 'neither `openapi` nor `swagger`' : `swagger: ${JSON.stringify(swagger)}`) : `openapi: ${JSON.stringify(openapi)}`
  throw new SpecInputError(file, `not an OpenAPI 3.0/3.1 or Swagger 2.0 document (found ${found})`)
}

function jsonErrorPosition(text: string, error: unknown): { line: number; column: number } | undefined {
  const at = /position (\d+)/.exec(String(error))
  if (!at) return undefined
  const offset = Number(at[1])
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  return { line, column: offset - before.lastIndexOf('\n') }
}

/** Parses `text` (JSON or YAML) read from `file`. */
export function readSpecSource(file: string, text: string): SpecSource {
  if (/^\s*\{/.test(text)) {
    let document: unknown
    try {
      document = JSON.parse(text)
    } catch (error) {
      throw new SpecInputError(file, `invalid JSON: ${(error as Error).message.replace(/ in JSON at position \d+.*$/s, '')}`, jsonErrorPosition(text, error))
    }
    if (!isRecord(document)) throw new SpecInputError(file, 'the document is not an object')
    return { file, format: formatOf(file, document), document, positions: jsonPositions(text) }
  }
  const lines = new LineCounter()
  const parsed = parseDocument(text, { lineCounter: lines, uniqueKeys: true })
  const first = parsed.errors[0]
  if (first) {
    const { line, col } = first.linePos?.[0] ?? lines.linePos(first.pos[0])
    throw new SpecInputError(file, `invalid YAML: ${(first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`, { line, column: col })
  }
  const document: unknown = parsed.toJS({ maxAliasCount: 100 })
  if (!isRecord(document)) throw new SpecInputError(file, 'the document is not an object')
  return { file, format: formatOf(file, document), document, positions: yamlPositions(parsed, lines) }
}
