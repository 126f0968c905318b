/** The tables of scripts/waf-report.ts: block rates side by side, disagreements, rules behind benign blocks, changes since a saved run. */
import { readFileSync } from 'node:fs'
import type { CorpusRequest } from './waf-corpus-format.js'

export type ContenderName = 'portcullis-crs' | 'portcullis-builtin' | 'portcullis-crs-schema' | 'portcullis-builtin-schema' | 'apache-modsecurity'

export interface Outcome {
  /** 0: no answer. */
  status: number
  /** The rules that decided a block, from the contender's log. */
  rules?: number[]
  error?: string
}

export interface CorpusResults {
  dir: string
  requests: CorpusRequest[]
  results: Map<ContenderName, Outcome[]>
}

const blocked = (o: Outcome | undefined) => o?.status === 403
const blockedOr400 = (o: Outcome | undefined) => o?.status === 403 || o?.status === 400
const passed = (o: Outcome | undefined) => o !== undefined && o.status >= 200 && o.status < 400
const out = (text: string) => process.stdout.write(`${text}\n`)

function pct(n: number, d: number): string {
  return d === 0 ? '–' : ((100 * n) / d).toFixed(1)
}

/** One printable line of a request: its payload, else its line and body, control characters escaped. */
function excerpt(r: CorpusRequest, width: number): string {
  const text = r.payload ?? `${r.method} ${r.target}${r.body === undefined ? '' : ` ${r.body}`}`
  const escaped = JSON.stringify(text).slice(1, -1)
  return escaped.length > width ? `${escaped.slice(0, width - 1)}…` : escaped
}

interface Indexed {
  request: CorpusRequest
  index: number
}

function groupBy(list: readonly Indexed[], key: (r: CorpusRequest) => string): [string, Indexed[]][] {
  const groups = new Map<string, Indexed[]>()
  for (const item of list) groups.set(key(item.request), [...(groups.get(key(item.request)) ?? []), item])
  return [...groups].sort((a, b) => a[0].localeCompare(b[0]))
}

/** A table: a row per group, per contender the 403 rate and, when it differs, the 403-or-400 rate. */
function table(title: string, groups: [string, Indexed[]][], contenders: readonly ContenderName[], results: Map<ContenderName, Outcome[]>): void {
  const labelWidth = Math.min(44, Math.max(title.length, ...groups.map(([label, list]) => `${label} (${list.length})`.length)) + 2)
  const widths = contenders.map((c) => Math.max(c.length, 13) + 2)
  out(`${title.padEnd(labelWidth)}${contenders.map((c, i) => c.padStart(widths[i] ?? 15)).join('')}`)
  for (const [label, list] of groups) {
    const cells = contenders.map((c, i) => {
      const outcomes = results.get(c) ?? []
      const a = pct(list.filter((x) => blocked(outcomes[x.index])).length, list.length)
      const b = pct(list.filter((x) => blockedOr400(outcomes[x.index])).length, list.length)
      return (a === b ? a : `${a} (${b})`).padStart(widths[i] ?? 15)
    })
    out(`${`${label} (${list.length})`.slice(0, labelWidth - 1).padEnd(labelWidth)}${cells.join('')}`)
  }
}

function statuses(list: readonly Indexed[], outcomes: readonly Outcome[]): string {
  const counts = new Map<string, number>()
  for (const { index } of list) {
    const status = outcomes[index]?.status ?? 0
    const key = status === 0 ? 'none' : status >= 200 && status < 300 ? '2xx' : String(status)
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}×${n}`).join(' ')
}

function overall(kind: string, list: readonly Indexed[], contenders: readonly ContenderName[], results: Map<ContenderName, Outcome[]>): void {
  out(`\n${kind}: ${list.length} requests — % blocked (403), in parentheses % blocked or refused with 400 where that differs`)
  table('overall', [['all', [...list]]], contenders, results)
  for (const c of contenders) {
    const errors = list.filter((x) => (results.get(c)?.[x.index]?.status ?? 0) === 0 || (results.get(c)?.[x.index]?.status ?? 0) >= 500)
    const sample = errors.map((x) => results.get(c)?.[x.index]?.error).find((e) => e !== undefined)
    out(`  ${c}: ${statuses(list, results.get(c) ?? [])}${errors.length > 0 && sample !== undefined ? ` (e.g. ${sample})` : ''}`)
  }
}

/** Sources: each one, or by their prefix (`openapi:…`) when there are too many to list. */
function sourceGroups(list: readonly Indexed[]): [string, Indexed[]][] {
  const groups = groupBy(list, (r) => r.source)
  return groups.length <= 80 ? groups : groupBy(list, (r) => r.source.split(':')[0] ?? r.source)
}

function disagreements(list: readonly Indexed[], results: Map<ContenderName, Outcome[]>, show: number, attack: boolean): void {
  const apache = results.get('apache-modsecurity')
  const ours = results.get('portcullis-crs')
  if (apache === undefined || ours === undefined) return
  const other = attack ? passed : (o: Outcome | undefined) => !blocked(o)
  const pairs: [string, Indexed[]][] = [
    [`Apache blocks, Portcullis-CRS ${attack ? 'passes' : 'does not'}`, list.filter((x) => blocked(apache[x.index]) && other(ours[x.index]))],
    [`Portcullis-CRS blocks, Apache ${attack ? 'passes' : 'does not'}`, list.filter((x) => blocked(ours[x.index]) && other(apache[x.index]))],
  ]
  for (const [title, found] of pairs) {
    out(`\n${title}: ${found.length}${found.length > show ? ` (first ${show})` : ''}`)
    for (const { request: r, index } of found.slice(0, show)) {
      const rules = (o: Outcome | undefined) => (o?.rules === undefined ? String(o?.status ?? '') : o.rules.join(','))
      out(`  ${r.id}  ${r.class}/${r.placement}  ${excerpt(r, 90)}  [apache ${rules(apache[index])}; portcullis ${rules(ours[index])}]`)
    }
  }
}

function benignRules(list: readonly Indexed[], contenders: readonly ContenderName[], results: Map<ContenderName, Outcome[]>, messages: ReadonlyMap<number, string>): void {
  for (const c of contenders) {
    const outcomes = results.get(c) ?? []
    const byRule = new Map<number, string[]>()
    const blockedList = list.filter((x) => blocked(outcomes[x.index]))
    for (const { request, index } of blockedList) for (const id of outcomes[index]?.rules ?? []) byRule.set(id, [...(byRule.get(id) ?? []), request.id])
    if (blockedList.length === 0) continue
    out(`\nrules behind ${c}'s ${blockedList.length} benign blocks:`)
    for (const [id, ids] of [...byRule].sort((a, b) => b[1].length - a[1].length).slice(0, 15)) out(`  ${String(id).padEnd(8)} ×${String(ids.length).padEnd(5)} ${(messages.get(id) ?? '').slice(0, 70).padEnd(70)} e.g. ${ids[0] ?? ''}`)
  }
}

export function printCorpusReport(corpus: CorpusResults, contenders: readonly ContenderName[], messages: ReadonlyMap<number, string>, show: number): void {
  const all = corpus.requests.map((request, index) => ({ request, index }))
  out(`\n=== ${corpus.dir}`)
  for (const kind of ['attack', 'benign'] as const) {
    const list = all.filter((x) => x.request.kind === kind)
    if (list.length === 0) continue
    overall(kind === 'attack' ? 'attacks' : 'benign', list, contenders, corpus.results)
    out('')
    table(kind === 'attack' ? 'by class' : 'by family', groupBy(list, (r) => r.class), contenders, corpus.results)
    out('')
    table('by placement', groupBy(list, (r) => r.placement), contenders, corpus.results)
    out('')
    table('by source', sourceGroups(list), contenders, corpus.results)
    disagreements(list, corpus.results, show, kind === 'attack')
    if (kind === 'benign') benignRules(list, contenders, corpus.results, messages)
  }
}

interface SavedRun {
  date?: string
  corpora: { dir: string; requests: { id: string; kind: string; outcomes: Record<string, Outcome | undefined> }[] }[]
}

/** Rates now and in a run saved with --json, and how many requests changed side. */
export function printComparison(file: string, corpora: readonly CorpusResults[]): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedRun
  out(`\n=== compared with ${file}${saved.date === undefined ? '' : ` (${saved.date})`}`)
  for (const corpus of corpora) {
    const before = saved.corpora.find((c) => c.dir === corpus.dir)
    if (before === undefined) {
      out(`${corpus.dir}: not in the saved run`)
      continue
    }
    const previous = new Map(before.requests.map((r) => [r.id, r]))
    for (const [name, outcomes] of corpus.results) {
      for (const kind of ['attack', 'benign'] as const) {
        const now = corpus.requests.map((r, i) => ({ r, o: outcomes[i] })).filter(({ r }) => r.kind === kind && previous.get(r.id)?.outcomes[name] !== undefined)
        if (now.length === 0) continue
        const then = (id: string) => previous.get(id)?.outcomes[name]
        const newlyBlocked = now.filter(({ r, o }) => blocked(o) && !blocked(then(r.id)))
        const noLongerBlocked = now.filter(({ r, o }) => !blocked(o) && blocked(then(r.id)))
        out(
          `${name} ${kind}: ${pct(now.filter(({ r }) => blocked(then(r.id))).length, now.length)} % → ${pct(now.filter(({ o }) => blocked(o)).length, now.length)} % blocked over ${now.length} requests in both; newly blocked ${newlyBlocked.length}${newlyBlocked.length > 0 ? ` (${newlyBlocked.slice(0, 5).map(({ r }) => r.id).join(', ')}${newlyBlocked.length > 5 ? '…' : ''})` : ''}, no longer blocked ${noLongerBlocked.length}${noLongerBlocked.length > 0 ? ` (${noLongerBlocked.slice(0, 5).map(({ r }) => r.id).join(', ')}${noLongerBlocked.length > 5 ? '…' : ''})` : ''}`,
        )
      }
    }
  }
}
