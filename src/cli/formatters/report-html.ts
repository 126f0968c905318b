/**
 * A security report as one self-contained HTML page (no scripts, no external resources): a
 * summary with bar charts by severity and by OWASP category (inline SVG), then each target's
 * findings with their remediation.
 */
import type { Finding, SecurityReport } from '../../audit/findings.js'
import { OWASP_CATEGORIES, SEVERITIES, type Severity } from '../../audit/rule.js'
import { allFindings, countByCategory, countBySeverity, sortedFindings } from './report-common.js'
import { escapeXml as esc } from './xml.js'

const SEVERITY_COLOURS: Readonly<Record<Severity, string>> = { critical: '#7b1fa2', high: '#c62828', medium: '#ef6c00', low: '#0277bd', info: '#757575' }

function barChart(title: string, rows: readonly { label: string; value: number; colour: string }[]): string {
  const max = Math.max(1, ...rows.map((row) => row.value))
  const height = rows.length * 26 + 8
  const bars = rows
    .map((row, index) => {
      const y = index * 26 + 4
      const width = Math.round((row.value / max) * 300)
      return `<text x="0" y="${String(y + 15)}">${esc(row.label)}</text><rect x="260" y="${String(y)}" width="${String(width)}" height="20" fill="${row.colour}"/><text x="${String(266 + width)}" y="${String(y + 15)}">${String(row.value)}</text>`
    })
    .join('')
  return `<figure><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" width="620" height="${String(height)}" font-size="13" font-family="sans-serif">${bars}</svg></figure>`
}

function findingRows(findings: readonly Finding[], titles: ReadonlyMap<string, { title: string; remediation: string }>): string {
  return sortedFindings(findings)
    .map((finding) => {
      const rule = titles.get(finding.ruleId)
      return `<tr><td><span class="sev" style="background:${SEVERITY_COLOURS[finding.severity]}">${finding.severity}</span></td><td>${String(finding.location.line ?? '-')}:${String(finding.location.column ?? '-')}</td><td><code>${esc(finding.ruleId)}</code><br><small>${esc(finding.owasp)}</small></td><td>${esc(finding.message)}<br><code class="ptr">${esc(finding.location.pointer || '/')}</code>${rule ? `<details><summary>Fix</summary>${esc(rule.remediation)}</details>` : ''}${finding.evidence === undefined ? '' : `<details><summary>Evidence</summary><pre>${esc(finding.evidence.request)}</pre><pre>${esc(finding.evidence.response)}</pre><pre>${esc(finding.evidence.curl)}</pre></details>`}</td></tr>`
    })
    .join('\n')
}

export function formatReportHtml(report: SecurityReport): string {
  const findings = allFindings(report)
  const bySeverity = countBySeverity(findings)
  const byCategory = countByCategory(findings)
  const titles = new Map(report.rules.map((rule) => [rule.id, rule]))
  const severityChart = barChart('Findings by severity', SEVERITIES.map((severity) => ({ label: severity, value: bySeverity[severity], colour: SEVERITY_COLOURS[severity] })))
  const categoryChart = barChart('Findings by OWASP API Security Top 10 (2023) category', [...byCategory].map(([category, value]) => ({ label: `${category} ${OWASP_CATEGORIES[category]}`.slice(0, 40), value, colour: '#455a64' })))
  const targets = report.targets
    .map((target) => {
      if (target.error !== undefined) return `<section><h2>${esc(target.target)}</h2><p class="error">Could not be examined: ${esc(target.error)}</p></section>`
      const rows = findingRows(target.findings, titles)
      return `<section><h2>${esc(target.target)} <span class="score">score ${String(target.score ?? '-')}/100</span></h2><p>${String(target.findings.length)} finding(s)${target.ignored > 0 ? `, ${String(target.ignored)} ignored in the document` : ''}.</p>${rows === '' ? '' : `<table><thead><tr><th>Severity</th><th>Line</th><th>Rule</th><th>Finding</th></tr></thead><tbody>\n${rows}\n</tbody></table>`}</section>`
    })
    .join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portcullis ${esc(report.tool)} report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#212121}h1{margin-bottom:.2rem}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #e0e0e0;padding:.4rem;text-align:left;vertical-align:top}.sev{color:#fff;border-radius:3px;padding:0 .4rem;font-size:.85rem}
.score{font-weight:normal;font-size:1rem;color:#555}.ptr{color:#555;font-size:.8rem;word-break:break-all}figure{display:inline-block;margin:0 2rem 1rem 0}
figcaption{font-weight:bold;margin-bottom:.3rem}.error{color:#c62828}pre{white-space:pre-wrap;word-break:break-all;background:#f5f5f5;padding:.4rem;font-size:.8rem}
</style></head><body>
<h1>Portcullis ${esc(report.tool)} report</h1>
<p>${String(report.targets.length)} target(s), ${String(findings.length)} finding(s). Portcullis ${esc(report.version)}.</p>
${severityChart}
${categoryChart}
${targets}
</body></html>
`
}
