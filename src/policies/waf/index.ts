/**
 * `waf`: the injection firewall. Runs a SecLang rule set — an OWASP CRS release the user points
 * at, or the built-in profile around the native SQLi/XSS detectors — over each request's line,
 * headers and body (phases 1 and 2, after OpenAPI validation). The gateway's settings (paranoia,
 * threshold, allowed methods and media types, exclusions) become a setup rule and removals
 * loaded with the rule set, so the rules read them the way CRS expects. A block is a 403 problem;
 * every block or report is logged with the rules that matched and masked excerpts, and counted.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { RequestContext } from '../../pipeline/context.js'
import { definePolicy } from '../../pipeline/define-policy.js'
import { respond } from '../../pipeline/reply.js'
import { ALL_DETECTORS, DETECTORS, maskDetected } from '../../sensitive/detectors.js'
import { REDACTED } from '../../sensitive/strategies.js'
import { WafTransaction, type MatchedRule } from '../../waf/engine.js'
import { loadRuleSet, ruleFilesIn, type RuleSet, type RuleSource } from '../../waf/rule-set.js'
import { DEFAULT_PROFILE } from './default-profile.js'
import { WafConfig } from './schema.js'
import type { Static } from '@sinclair/typebox'

type Config = Static<typeof WafConfig>

const EXCERPT_LENGTH = 32
const DETECTORS_IN_EXCERPTS = ALL_DETECTORS.map((name) => DETECTORS[name])
/** CRS rules that only evaluate scores or set up; not worth a log entry of their own. */
const BOOKKEEPING = /^9(?:01|49|59|80)\d{3}$|^900\d{3}$/

/** The SecLang that carries the gateway's settings into a CRS-style rule set. */
function crsSettings(config: Config): string {
  const types = config.allowedContentTypes.map((t) => `|${t}|`).join(' ')
  return [
    `SecRuleEngine ${config.mode === 'block' ? 'On' : 'DetectionOnly'}`,
    `SecAction "id:9000900,phase:1,pass,nolog,` +
      `setvar:tx.blocking_paranoia_level=${config.paranoia},setvar:tx.detection_paranoia_level=${config.paranoia},` +
      `setvar:tx.inbound_anomaly_score_threshold=${config.anomalyThreshold},` +
      `setvar:'tx.allowed_methods=${config.allowedMethods.join(' ')}',setvar:'tx.allowed_request_content_type=${types}'"`,
  ].join('\n')
}

function exclusions(config: Config): string {
  const lines: string[] = []
  if (config.excludeRules.length > 0) lines.push(`SecRuleRemoveById ${config.excludeRules.join(' ')}`)
  for (const tag of config.excludeTags) lines.push(`SecRuleRemoveByTag "${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`)
  for (const { rule, target } of config.excludeTargets) lines.push(`SecRuleUpdateTargetById ${rule} "!${target}"`)
  return lines.join('\n')
}

/** Throws an Error naming the file and line of a rule the engine cannot run. */
function buildRuleSet(config: Config, baseDir: string): RuleSet {
  const sources: RuleSource[] = []
  if (config.ruleSet === undefined) {
    sources.push({ text: `SecRuleEngine ${config.mode === 'block' ? 'On' : 'DetectionOnly'}`, name: 'gateway-settings.conf' }, { text: DEFAULT_PROFILE, name: 'builtin-profile.conf' })
  } else {
    const dir = resolve(baseDir, config.ruleSet)
    const setup = ['crs-setup.conf', 'crs-setup.conf.example'].map((name) => join(dir, name)).find((file) => existsSync(file))
    if (setup === undefined) throw new Error(`${dir} has no crs-setup.conf or crs-setup.conf.example`)
    sources.push({ file: setup }, { text: crsSettings(config), name: 'gateway-settings.conf' }, ...ruleFilesIn(join(dir, 'rules')).map((file) => ({ file })))
  }
  sources.push({ text: exclusions(config), name: 'gateway-exclusions.conf' })
  return loadRuleSet(sources)
}

function excerpt(value: string): string {
  // Masked before it is cut, so a secret is never half shown; only the start is scanned, as only it is kept.
  const masked = maskDetected(value.slice(0, 1024), DETECTORS_IN_EXCERPTS, () => REDACTED)
  return masked.length > EXCERPT_LENGTH ? `${masked.slice(0, EXCERPT_LENGTH)}…` : masked
}

function logged(matches: readonly MatchedRule[]): { id: number; msg: string | null; variable: string; excerpt: string }[] {
  return matches.filter((m) => m.logged && !BOOKKEEPING.test(String(m.id))).map((m) => ({ id: m.id, msg: m.msg, variable: m.variable, excerpt: excerpt(m.value) }))
}

/** Node's raw headers as latin1 pairs: the engine matches bytes. */
function headerPairs(ctx: RequestContext): [string, string][] {
  const pairs: [string, string][] = []
  for (let i = 0; i + 1 < ctx.rawHeaders.length; i += 2) pairs.push([ctx.rawHeaders[i] ?? '', ctx.rawHeaders[i + 1] ?? ''])
  return pairs
}

export const waf = definePolicy({
  name: 'waf',
  priority: 1400,
  description: 'Injection firewall: an OWASP CRS rule set (or the built-in profile of native SQLi/XSS detectors and attack rules) over request line, headers and body.',
  configSchema: WafConfig,
  create(config, deps) {
    const ruleSet = buildRuleSet(config, deps.baseDir)
    return {
      requestBodyLimit: config.maxBodyBytes,
      onRequestBody(ctx, body) {
        if (ctx.isPreflight) return undefined
        const transaction = new WafTransaction(ruleSet, {
          method: ctx.method,
          uri: ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`,
          protocol: ctx.client.tls?.alpnProtocol === 'h2' ? 'HTTP/2.0' : 'HTTP/1.1',
          headers: headerPairs(ctx),
          remoteAddress: ctx.client.address,
        }, ctx.requestId)
        transaction.processRequestHeaders()
        transaction.processRequestBody(body.length === 0 ? null : body)
        const interruption = transaction.interruption
        const reportable = logged(transaction.matched)
        // In report mode a CRS request that would have been blocked shows as its evaluation rule matching.
        const wouldBlock = interruption !== null || transaction.matched.some((m) => m.id === 949110 || m.id === 949111)
        if (!wouldBlock && (config.mode === 'block' || reportable.length === 0)) return undefined
        const outcome = interruption !== null ? 'blocked' : 'reported'
        for (const rule of reportable) deps.metrics.waf(deps.api, String(rule.id), outcome)
        ctx.setLogField('waf', { outcome, rules: reportable.map((r) => r.id) })
        deps.logger.warn({ requestId: ctx.requestId, outcome, rules: reportable }, interruption !== null ? 'request blocked by the WAF' : 'request matched WAF rules (report only: passed)')
        return interruption === null ? undefined : respond.problem('GW_ERR_WAF_BLOCKED')
      },
    }
  },
})
