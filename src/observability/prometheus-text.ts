/**
 * Reads samples back from the Prometheus text exposition format (version 0.0.4), so that summaries
 * can be computed the same way from one process's registry and from a cluster primary's
 * aggregate of its workers (which prom-client hands over only as text).
 */

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/y

/** The samples whose metric name is in `names` (every sample when `names` is omitted). */
export function parsePrometheusText(text: string, names?: ReadonlySet<string>): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = SAMPLE.exec(line)
    if (match === null) continue
    const name = match[1] as string
    if (names !== undefined && !names.has(name)) continue
    const labels = parseLabels(match[2] ?? '')
    const value = Number(match[3])
    if (labels !== null && !Number.isNaN(value)) samples.push({ name, labels, value })
  }
  return samples
}

function parseLabels(text: string): Record<string, string> | null {
  const labels: Record<string, string> = {}
  LABEL.lastIndex = 0
  while (LABEL.lastIndex < text.length) {
    const start = LABEL.lastIndex
    const match = LABEL.exec(text)
    if (match === null) return text.slice(start).trim() === '' ? labels : null
    labels[match[1] as string] = (match[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
  }
  return labels
}
