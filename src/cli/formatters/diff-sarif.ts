/**
 * A diff report as SARIF 2.1.0 for code-scanning UIs: one result per change, located in the new
 * document (the old one for what was removed) with the other side as a related location.
 */
import type { Location, Log, Result } from 'sarif'
import { checkDefinition } from '../../lifecycle/diff/check-catalog.js'
import type { DiffChange, DiffLevel, DiffLocation, DiffReport } from '../../lifecycle/diff/diff-types.js'

const LEVELS: Readonly<Record<DiffLevel, Result.level>> = { error: 'error', warning: 'warning', info: 'note' }

function artifactUri(file: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) return file
  return file.split(/[\\/]/).map(encodeURIComponent).join('/')
}

function sarifLocation(location: DiffLocation, id?: number): Location {
  return {
    ...(id === undefined ? {} : { id }),
    physicalLocation: { artifactLocation: { uri: artifactUri(location.file) }, region: { startLine: location.line, startColumn: location.column } },
    logicalLocations: [{ fullyQualifiedName: location.pointer || '/', kind: 'member' }],
  }
}

function result(change: DiffChange, ruleIndex: number): Result {
  const primary = change.new ?? change.old
  const related = change.new && change.old ? change.old : undefined
  return {
    ruleId: change.id,
    ruleIndex,
    level: LEVELS[change.level],
    message: { text: change.operation === undefined ? change.message : `${change.operation}: ${change.message}` },
    locations: primary ? [sarifLocation(primary)] : [],
    ...(related ? { relatedLocations: [{ ...sarifLocation(related, 0), message: { text: 'in the old document' } }] } : {}),
    partialFingerprints: { 'portcullis-diff/v1': `${change.id}:${change.operation ?? ''}:${change.new?.pointer ?? change.old?.pointer ?? ''}` },
  }
}

export function formatDiffSarif(report: DiffReport, version: string): string {
  const ids = [...new Set(report.changes.map((change) => change.id))].sort()
  const index = new Map(ids.map((id, position) => [id, position]))
  const sarif: Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Portcullis diff',
            semanticVersion: version,
            informationUri: 'https://github.com/portcullis/portcullis',
            rules: ids.map((id) => {
              const definition = checkDefinition(id)
              return { id, shortDescription: { text: definition.meaning }, defaultConfiguration: { level: LEVELS[definition.level] }, properties: { category: definition.category } }
            }),
          },
        },
        results: report.changes.map((change) => result(change, index.get(change.id) ?? 0)),
      },
    ],
  }
  return `${JSON.stringify(sarif, null, 2)}\n`
}
