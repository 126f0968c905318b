/**
 * An operation's page: what the document says (parameters, bodies, responses) and what only the
 * gateway knows (authentication, headers, limits, errors), each in a section with a stable id so
 * readers and tests can find it.
 */
import type { MediaView, OperationView, SchemaNode } from './document-view.js'
import { bytes, code, esc, html, paragraphs, table } from './html.js'
import { renderSelection } from './version-lifecycle.js'
import type { AlternativeFact, AuthFacts, CredentialFact, LimitFact, OperationFacts, RateLimitFacts, RequestLimitFacts } from './operation-facts.js'

export interface OperationPageInput {
  readonly view: OperationView
  readonly facts: OperationFacts
  /** The path a client calls: the API's base path joined with the template. */
  readonly publicPath: string
  readonly apiTitle: string
  readonly gettingAccess: string | null
  /** Relative link to the site's error list. */
  readonly errorsHref: string
  /** Relative link to this version's reference (rendered by the bundled renderer). */
  readonly referenceHref: string
  readonly versionHref: string
  /** The version's lifecycle banner ('' when it has nothing to say). */
  readonly versionBanner: string
}

export function methodBadge(method: string): string {
  return `<span class="method ${esc(method.toLowerCase())}">${esc(method)}</span>`
}

export function renderOperationBody(input: OperationPageInput): string {
  const { view, facts } = input
  const entry = view.entry
  return html([
    `<p class="muted"><a href="${input.versionHref}">${esc(input.apiTitle)}</a></p>`,
    `<h1>${methodBadge(entry.method)} ${code(input.publicPath)}</h1>`,
    view.summary !== null && `<p class="summary">${esc(view.summary)}</p>`,
    entry.operationId !== null && `<p class="muted">operationId ${code(entry.operationId)}${entry.tags.map((t) => ` <span class="tag">${esc(t)}</span>`).join('')}</p>`,
    input.versionBanner,
    deprecationBanner(view),
    renderSelection(facts.lifecycle.selection),
    paragraphs(view.description),
    `<nav class="links"><a href="#authentication">Authentication</a><a href="#headers">Headers</a><a href="#rate-limits">Rate limits</a><a href="#data-formats">Data formats</a><a href="#errors">Errors</a><a href="${input.referenceHref}">Reference</a></nav>`,
    authenticationSection(facts.auth, input.gettingAccess),
    headersSection(facts),
    rateLimitSection(facts.rateLimits),
    dataFormatsSection(view, facts.limits),
    errorsSection(facts, input.errorsHref),
  ])
}

export function deprecationBanner(view: OperationView): string {
  if (!view.entry.deprecated && view.sunset === null) return ''
  const sunset = view.sunset === null ? '' : ` It is scheduled for removal on <strong>${esc(view.sunset)}</strong> (its sunset); after that date calls to it will fail.`
  return `<div class="banner deprecated" role="note" id="deprecation"><strong>Deprecated.</strong> This operation is deprecated; move to its successor.${sunset}</div>`
}

function credentialRow(credential: CredentialFact): readonly string[] {
  switch (credential.method) {
    case 'jwt':
      return [
        'JWT access token',
        `header ${code('Authorization')}: ${code(`${credential.scheme} <token>`)}`,
        html([
          credential.issuer !== null && `issuer ${code(credential.issuer)}; `,
          `audience ${credential.audiences.map(code).join(' or ')}; algorithms ${credential.algorithms.map(code).join(', ')}`,
          credential.scheme === 'DPoP' && `; with a ${code('DPoP')} proof header (RFC 9449)`,
        ]),
      ]
    case 'introspection':
      return ['OAuth 2.0 access token (opaque, introspected)', `header ${code('Authorization')}: ${code(`${credential.scheme} <token>`)}`, credential.issuer === null ? '' : `issuer ${code(credential.issuer)}`]
    case 'apiKey':
      return [
        'API key',
        html([`header ${code(credential.header)}`, credential.queryParameter !== null && ` or query parameter ${code(credential.queryParameter)} (avoid: URLs are logged)`]),
        'issued by the gateway’s operators',
      ]
    case 'mtls':
      return ['Client certificate (mutual TLS)', 'the TLS handshake', `consumer named by the certificate’s ${code(credential.consumerFrom)}`]
  }
}

function alternativeText(alternative: AlternativeFact): string {
  return html([
    alternative.schemes.map(code).join(' + '),
    alternative.scopes.length > 0 ? ` with scopes ${alternative.scopes.map(code).join(', ')}` : ' (no scope)',
    alternative.roles.length > 0 && ` — granted by the roles ${alternative.roles.map(code).join(', ')}`,
  ])
}

function authenticationSection(auth: AuthFacts, gettingAccess: string | null): string {
  const rows: string[] = []
  if (!auth.enforced) rows.push(`<dt>Credentials</dt><dd data-fact="credentials">None: the gateway does not authenticate requests to this operation.</dd>`)
  else {
    rows.push(`<dt>Credentials</dt><dd data-fact="credentials">${auth.optional ? 'Optional: requests without a credential pass as anonymous; a bad one is refused.' : 'Required: one of the credentials below, tried in this order.'}</dd>`)
    if (auth.requiredScopes.length > 0) rows.push(`<dt>Scopes on every request</dt><dd data-fact="required-scopes">${auth.requiredScopes.map(code).join(', ')}</dd>`)
  }
  const rule = {
    public: 'Public: no credential is needed (the document declares `security: []`).',
    denied: 'Denied: the document declares no security requirement for this operation, and the gateway refuses such operations.',
    open: 'Allowed without a declared requirement (authz `undeclared: allow`).',
    requirements: 'One of the following, checked by the gateway:',
  }
  if (auth.rule !== null) {
    rows.push(`<dt>Authorization</dt><dd data-fact="rule" data-rule="${auth.rule}">${esc(rule[auth.rule])}${auth.rule === 'requirements' ? `<ul>${auth.alternatives.map((a) => `<li data-fact="alternative">${alternativeText(a)}</li>`).join('')}</ul>` : ''}</dd>`)
  } else if (auth.declared !== null && auth.declared.length > 0) {
    rows.push(`<dt>Declared by the document</dt><dd data-fact="declared">${auth.declared.map(alternativeText).join(' or ')} — not checked by the gateway (no authz policy).</dd>`)
  }
  if (auth.adminRoles !== null) rows.push(`<dt>Administrative</dt><dd data-fact="admin">${auth.adminRoles.length === 0 ? 'no role may call it' : `needs one of the roles ${auth.adminRoles.map(code).join(', ')}`}</dd>`)
  if (auth.cedar) rows.push('<dt>Policies</dt><dd>Further rules (Cedar policies) may deny a request the requirements allow.</dd>')
  if (auth.enforced) rows.push(`<dt>Getting a credential</dt><dd data-fact="getting-access">${esc(gettingAccess ?? 'Ask the operators of this API for an API key or a client registration.')}</dd>`)
  return html([
    '<section id="authentication"><h2>Authentication</h2>',
    `<dl class="facts">${rows.join('')}</dl>`,
    table(['Credential', 'Where it goes', 'Details'], auth.credentials.map(credentialRow), 'credentials'),
    '</section>',
  ])
}

function headersSection(facts: OperationFacts): string {
  const row = (h: OperationFacts['requestHeaders'][number]) => [code(h.name), h.value === '' ? '' : code(h.value), h.required ? 'yes' : 'no', esc(h.why)]
  return html([
    '<section id="headers"><h2>Headers</h2><h3>In the request</h3>',
    facts.requestHeaders.length === 0 ? '<p>No header is required by the gateway.</p>' : table(['Header', 'Value', 'Required', 'Why'], facts.requestHeaders.map(row), 'request-headers'),
    '<h3>In the response</h3>',
    table(['Header', 'Value', 'Always', 'Why'], facts.responseHeaders.map(row), 'response-headers'),
    '</section>',
  ])
}

function limitRows(limits: readonly LimitFact[]): string[][] {
  return limits.map((l) => [code(l.name), esc(l.text), esc(l.per.join(' + ')), code(l.policyField)])
}

function rateLimitSection(rate: RateLimitFacts | null): string {
  if (rate === null) return '<section id="rate-limits"><h2>Rate limits and quotas</h2><p>The gateway applies no rate limit to this operation.</p></section>'
  const plans = rate.plans.map(
    (p) => `<h3 data-plan="${esc(p.plan)}">Plan ${code(p.plan)}${p.plan === 'default' ? ' (consumers without a known plan)' : ''}</h3>${table(['Limit', 'Allows', 'Counted per', 'RateLimit-Policy member'], limitRows(p.limits), 'limits')}`,
  )
  return html([
    '<section id="rate-limits"><h2>Rate limits and quotas</h2>',
    rate.limits.length > 0 && `<h3>Every consumer</h3>${table(['Limit', 'Allows', 'Counted per', 'RateLimit-Policy member'], limitRows(rate.limits), 'limits')}`,
    rate.plans.length > 0 && `<p>Each plan’s limits apply on top of those for every consumer; the plan is your consumer’s.</p>${plans.join('')}`,
    rate.limits.length === 0 && rate.plans.length === 0 && '<p>No limit is configured.</p>',
    rate.concurrency !== null && `<p>At most <strong>${rate.concurrency.max}</strong> requests in flight at once per ${esc(rate.concurrency.per.join(' + '))} on each gateway node (503 past it).</p>`,
    rate.ban !== null && `<p>Exceeding a limit ${rate.ban.after} times within ${esc(rate.ban.within)} bans the caller for ${esc(rate.ban.for)} (429 on every request meanwhile).</p>`,
    rate.headers === 'none'
      ? '<p>No rate-limit headers are sent.</p>'
      : `<p>Responses carry ${rate.headers === 'legacy' ? `${code('X-RateLimit-Limit')}, ${code('X-RateLimit-Remaining')} and ${code('X-RateLimit-Reset')}` : `${code('RateLimit-Policy')} (the limits above) and ${code('RateLimit')} (what is left of each, e.g. ${code('"rate0";r=99;t=1')})${rate.headers === 'both' ? ` plus the ${code('X-RateLimit-*')} trio` : ''}`}; a refused request gets 429 with ${code('Retry-After')}.</p>`,
    '</section>',
  ])
}

function schemaTree(node: SchemaNode): string {
  const head = html([code(node.type), node.constraints.length > 0 && ` <span class="muted">${esc(node.constraints.join('; '))}</span>`, node.description !== null && ` — ${esc(node.description)}`])
  if (node.children.length === 0) return head
  return `${head}<ul class="schema">${node.children.map((c) => `<li>${code(c.name)}${c.required ? ' <span class="req">required</span>' : ''}: ${schemaTree(c.node)}</li>`).join('')}</ul>`
}

function mediaList(content: readonly MediaView[]): string {
  return content.map((m) => `<div class="media"><p>${code(m.mediaType)}</p>${m.schema === null ? '' : `<div class="schema">${schemaTree(m.schema)}</div>`}</div>`).join('')
}

function enforcedLimits(limits: RequestLimitFacts): string {
  const rows: string[] = []
  if (limits.maxBodyBytes !== null) rows.push(`<dt>Request body</dt><dd data-fact="max-body">at most ${esc(bytes(limits.maxBodyBytes))} (413 past it)</dd>`)
  if (limits.json !== null) {
    rows.push(
      `<dt>JSON bodies</dt><dd data-fact="json-limits">nested at most ${limits.json.depth} levels deep; at most ${limits.json.keys} keys per object, ${limits.json.arrayLength} items per array, ${limits.json.stringLength} characters per string; no duplicate keys</dd>`,
    )
  }
  if (limits.maxUrlLength !== null) rows.push(`<dt>URL</dt><dd data-fact="max-url">at most ${limits.maxUrlLength} bytes (414 past it)</dd>`)
  rows.push(`<dt>Request headers</dt><dd data-fact="max-headers">at most ${esc(bytes(limits.maxHeaderBytes))}${limits.maxHeaderCount === null ? '' : ` in at most ${limits.maxHeaderCount} fields`} (431 past it)</dd>`)
  const validation = {
    block: 'requests that do not match this description are refused (400, or 415 for an undeclared media type)',
    report: 'requests are checked against this description and violations logged, not refused',
  }
  rows.push(`<dt>Validation</dt><dd data-fact="validation">${limits.validation === null ? 'the gateway does not check requests against the document' : esc(validation[limits.validation])}${limits.strictBodies ? '; bodies may carry no property the schema does not declare' : ''}${limits.rejectUndeclaredQuery ? '; undeclared query parameters are refused' : ''}</dd>`)
  if (limits.waf) rows.push('<dt>Firewall</dt><dd>requests are inspected by the web application firewall (403 when blocked)</dd>')
  return `<h3>Limits the gateway enforces</h3><dl class="facts">${rows.join('')}</dl>`
}

function dataFormatsSection(view: OperationView, limits: RequestLimitFacts): string {
  const params = table(
    ['Name', 'In', 'Required', 'Schema', 'Description'],
    view.parameters.map((p) => [code(p.name), esc(p.in), p.required ? 'yes' : 'no', p.schema === null ? '' : schemaTree(p.schema), esc(p.description ?? '')]),
    'parameters',
  )
  const responses = view.responses
    .map((r) => `<h4>${code(r.status)} ${esc(r.description ?? '')}</h4>${r.headers.length > 0 ? `<p>Headers: ${r.headers.map(code).join(', ')}</p>` : ''}${mediaList(r.content)}`)
    .join('')
  return html([
    '<section id="data-formats"><h2>Data formats</h2>',
    enforcedLimits(limits),
    '<h3>Parameters</h3>',
    params === '' ? '<p>None.</p>' : params,
    '<h3>Request body</h3>',
    view.requestBody === null ? '<p>None.</p>' : `<p>${view.requestBody.required ? 'Required.' : 'Optional.'}</p>${mediaList(view.requestBody.content)}`,
    '<h3>Responses</h3>',
    responses === '' ? '<p>None described.</p>' : responses,
    '</section>',
  ])
}

function errorsSection(facts: OperationFacts, errorsHref: string): string {
  return html([
    '<section id="errors"><h2>Errors the gateway may send</h2>',
    `<p>Besides the responses above, the gateway itself answers with these problems (${code('application/problem+json')}, RFC 9457) — the ${code('code')} member is stable. <a href="${errorsHref}">All error codes</a>.</p>`,
    table(
      ['Status', 'Code', 'Meaning', 'Sent by'],
      facts.errors.map((e) => [String(e.status), `<a href="${errorsHref}#${e.code}">${code(e.code)}</a>`, esc(e.title), esc(e.sources.join(', '))]),
      'gateway-errors',
    ),
    '</section>',
  ])
}
