/** What `portcullis posture` checks in a gateway config, by OWASP API Security Top 10 (2023) category. */
import { auditSpec } from '../audit/auditor.js'
import { isLoginLike } from '../audit/operation-kinds.js'
import type { PostureRule } from './posture-rule.js'
import type { ApiView, RouteView } from './gateway-view.js'

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/
const WEAK_CIPHER = /^(.*[-+:])?(RC4|DES|3DES|DES-CBC3|IDEA|SEED|NULL|eNULL|aNULL|EXPORT|EXP|MD5|ADH|AECDH|PSK|SRP|LOW|MEDIUM)([-+:].*)?$/i

const has = (route: RouteView, policy: string) => route.policies[policy] !== undefined

/** The document declares the operation public: no requirement, or an empty alternative. */
function documentedPublic(route: RouteView): boolean {
  const security = route.documentSecurity
  return security !== null && (security.length === 0 || security.some((alternative) => alternative.length === 0))
}

function authenticates(route: RouteView): boolean {
  const auth = route.policies.auth
  return auth !== undefined && auth.optional !== true
}

/** A rule for an API on which no route has `policy`. */
function missingPolicyRule(rule: Omit<PostureRule, 'check'>, policy: string, message: (api: string) => string, applies: (api: ApiView) => boolean = () => true): PostureRule {
  return {
    ...rule,
    check(gateway, report) {
      for (const api of gateway.apis) if (applies(api) && !api.routes.some((route) => has(route, policy))) report([...api.path, 'policies'], message(api.name))
    },
  }
}

const routeWithoutAuthentication: PostureRule = {
  id: 'route-without-authentication',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'Route without authentication',
  description: 'A route with no `auth` policy (or an optional one) forwards anonymous requests to the upstream, though its OpenAPI document does not declare it public.',
  remediation: 'Add `auth` to the API (`policies.auth`) or the route; if the operation is public on purpose, declare `security: []` on it in the document.',
  check(gateway, report) {
    for (const api of gateway.apis) {
      for (const route of api.routes) {
        if (!authenticates(route) && !documentedPublic(route)) report(route.path, `${api.name}: ${route.label} accepts requests without credentials.`)
      }
    }
  },
}

const publicRoute: PostureRule = {
  id: 'public-route',
  severity: 'info',
  owasp: 'API2:2023',
  title: 'Route public by its document',
  description: 'The OpenAPI document declares the operation public (`security: []` or `{}`) and the gateway does not authenticate it: listed so the decision stays visible.',
  remediation: 'Nothing, if public is intended.',
  check(gateway, report) {
    for (const api of gateway.apis) {
      for (const route of api.routes) if (!authenticates(route) && documentedPublic(route)) report(route.path, `${api.name}: ${route.label} is public by its document.`)
    }
  },
}

const routeWithoutAuthorization: PostureRule = {
  id: 'route-without-authorization',
  severity: 'medium',
  owasp: 'API5:2023',
  title: 'Authenticated route without authorization',
  description: 'Every authenticated caller may call the route: no `authz` policy and no required scopes, so function- and object-level checks are left to the upstream.',
  remediation: 'Add `authz` (roles, scopes, Cedar policies, object ownership) or require scopes in `auth.scopes`.',
  check(gateway, report) {
    for (const api of gateway.apis) {
      for (const route of api.routes) {
        const scopes = route.policies.auth?.scopes
        if (authenticates(route) && !has(route, 'authz') && !(Array.isArray(scopes) && scopes.length > 0)) report(route.path, `${api.name}: ${route.label} authenticates but does not authorize.`)
      }
    }
  },
}

const loginWithoutRateLimit: PostureRule = {
  id: 'login-without-rate-limit',
  severity: 'high',
  owasp: 'API4:2023',
  title: 'Login-like operation without a rate limit',
  description: 'Login, token, password-reset, OTP and sign-up operations without a rate limit invite credential stuffing, brute force and enumeration.',
  remediation: 'Add `rate-limit` to the route, keyed by IP and by account (e.g. `per: [ip]` and `per: [header:x-username]`), with a low rate.',
  check(gateway, report) {
    for (const api of gateway.apis) {
      for (const route of api.routes) {
        if (route.method !== 'GET' && isLoginLike(route.template, route.operationId) && !has(route, 'rate-limit')) report(route.path, `${api.name}: ${route.label} looks like a login or credential operation and has no rate limit.`)
      }
    }
  },
}

const apiWithoutRateLimit = missingPolicyRule(
  {
    id: 'api-without-rate-limit',
    severity: 'medium',
    owasp: 'API4:2023',
    title: 'API without any rate limit',
    description: 'No route of the API has a `rate-limit`: one client can take all of its capacity.',
    remediation: 'Add `rate-limit` to the API with a per-consumer (or per-IP) limit.',
  },
  'rate-limit',
  (api) => `${api} has no rate limit on any route.`,
)

const plainHttpListener: PostureRule = {
  id: 'plain-http-listener',
  severity: 'high',
  owasp: 'API8:2023',
  title: 'Plain HTTP on a non-loopback address without HTTPS',
  description: 'The gateway listens for plain HTTP on an address others can reach, and has no HTTPS listener: credentials and data cross the network in clear.',
  remediation: 'Add `listen.https` with a certificate (TLS 1.2 minimum), or bind HTTP to loopback behind a TLS-terminating proxy.',
  check(gateway, report) {
    const { http, https } = gateway.config.listen
    if (http !== undefined && https === undefined && !LOOPBACK.test(http.host)) report(['listen', 'http'], `HTTP on ${http.host}:${String(http.port)} with no HTTPS listener.`)
  },
}

const weakTlsCiphers: PostureRule = {
  id: 'weak-tls-ciphers',
  severity: 'high',
  owasp: 'API8:2023',
  title: 'Weak TLS cipher suites enabled',
  description: 'The cipher list enables suites without forward secrecy or authentication, or with broken algorithms (RC4, DES/3DES, NULL, EXPORT, MD5, anonymous).',
  remediation: 'Remove the `ciphers` setting to use the secure defaults, or list only ECDHE suites with AES-GCM or ChaCha20-Poly1305.',
  check(gateway, report) {
    const ciphers = gateway.config.listen.https?.ciphers
    if (ciphers === undefined) return
    const weak = ciphers.split(/[:\s,]+/).filter((token) => token !== '' && !/^[!-]/.test(token) && WEAK_CIPHER.test(token.replace(/^\+/, '')))
    if (weak.length > 0) report(['listen', 'https', 'ciphers'], `Weak suites enabled: ${weak.join(', ')}.`)
  },
}

/** A CORS rule: `pick` chooses the origins it objects to. */
function corsOriginRule(rule: Omit<PostureRule, 'check'>, pick: (origin: string) => boolean): PostureRule {
  return {
    ...rule,
    check(gateway, report) {
      for (const api of gateway.apis) {
        for (const route of api.routes) {
          const origins = route.policies.cors?.origins
          if (!Array.isArray(origins)) continue
          const picked = origins.filter((origin): origin is string => typeof origin === 'string' && pick(origin))
          // Reported where the list is written: routes sharing the API's list are one finding.
          if (picked.length > 0) report([...(route.policyPaths.cors ?? api.path), 'origins'], `${api.name}: CORS allows ${picked.join(', ')}.`)
        }
      }
    },
  }
}

const corsWildcard = corsOriginRule(
  {
    id: 'cors-wildcard-origin',
    severity: 'high',
    owasp: 'API8:2023',
    title: 'CORS allows any origin',
    description: "An origin list with `*` or `null` lets any web page (or a sandboxed iframe, for `null`) call the API from a user's browser.",
    remediation: 'List the exact origins of your web applications.',
  },
  (origin) => origin === '*' || origin === 'null',
)

const corsInsecureOrigin = corsOriginRule(
  {
    id: 'cors-insecure-origin',
    severity: 'medium',
    owasp: 'API8:2023',
    title: 'CORS allows an http:// origin',
    description: "A page served over plain HTTP can be changed in transit; allowing its origin lets a network attacker use the API with the user's credentials.",
    remediation: 'Allow only https:// origins (http://localhost for development only).',
  },
  (origin) => /^http:\/\//i.test(origin) && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i.test(origin),
)

const adminRemote: PostureRule = {
  id: 'admin-remote',
  severity: 'high',
  owasp: 'API8:2023',
  title: 'Admin listener reachable beyond loopback',
  description: 'The admin API (consumers, keys, metrics) listens on a non-loopback address: its token is the only barrier, and it is exposed to the network. (The loader already refuses an admin listener without a token hash, and a non-loopback one without `allowRemote`.)',
  remediation: 'Keep `admin.listen` on 127.0.0.1 and reach it through SSH or a private network.',
  check(gateway, report) {
    const admin = gateway.config.admin
    if (admin === undefined) return
    const host = admin.listen.slice(0, admin.listen.lastIndexOf(':'))
    if (!LOOPBACK.test(host)) report(['admin', 'listen'], `The admin listener is on ${admin.listen}.`)
  },
}

const wafReportOnly: PostureRule = {
  id: 'waf-report-only',
  severity: 'medium',
  owasp: 'API8:2023',
  title: 'Injection firewall in report-only mode',
  description: 'The `waf` policy only logs what it would block: injections reach the upstream.',
  remediation: 'Tune exclusions while reporting, then set `waf.mode: block`.',
  check(gateway, report) {
    for (const api of gateway.apis) {
      for (const route of api.routes) if (route.policies.waf?.mode === 'report') report([...(route.policyPaths.waf ?? api.path), 'mode'], `${api.name}: the WAF only reports.`)
    }
  },
}

const noWaf = missingPolicyRule(
  {
    id: 'no-waf',
    severity: 'low',
    owasp: 'API8:2023',
    title: 'API without the injection firewall',
    description: 'Schema validation cannot see an injection inside a free-text field; the `waf` policy can.',
    remediation: 'Add `waf: {}` (built-in profile) or `waf: { ruleSet: /path/to/crs }`.',
  },
  'waf',
  (api) => `${api} has no WAF.`,
)

const noRequestValidation = missingPolicyRule(
  {
    id: 'no-request-validation',
    severity: 'medium',
    owasp: 'API8:2023',
    title: 'API with a document but no request validation',
    description: 'The API has an OpenAPI document but no `openapi-validation`: requests the contract does not allow reach the upstream.',
    remediation: 'Add `openapi-validation: {}`.',
  },
  'openapi-validation',
  (api) => `${api} does not validate requests against its document.`,
  (api) => api.spec !== null,
)

const sensitiveResponsesUnchecked: PostureRule = {
  id: 'sensitive-responses-unchecked',
  severity: 'high',
  owasp: 'API3:2023',
  title: 'Sensitive data in responses with response validation off and no masking',
  description: 'The API\'s document marks response data as sensitive (passwords, card numbers, secrets…), yet responses are neither validated (`openapi-validation.response: block|strip`) nor masked (`masking`): an upstream that returns more than it should leaks it.',
  remediation: 'Set `openapi-validation: { response: strip }` (undeclared properties removed) and add `masking` for the sensitive fields.',
  check(gateway, report) {
    for (const api of gateway.apis) {
      if (api.spec === null) continue
      const sensitive = auditSpec(api.spec, { only: new Set(['sensitive-field-in-response']) }).findings
      if (sensitive.length === 0) continue
      const unchecked = api.routes.filter((route) => {
        const response = route.policies['openapi-validation']?.response
        return !(response === 'block' || response === 'strip') && !has(route, 'masking')
      })
      if (unchecked.length > 0) report([...api.path, 'policies'], `${api.name}: its document marks ${String(sensitive.length)} response field(s) as sensitive (first at ${sensitive[0]?.location.pointer ?? ''}), and ${String(unchecked.length)} route(s) neither validate responses nor mask.`)
    }
  },
}

const noSecurityHeaders = missingPolicyRule(
  {
    id: 'no-security-headers',
    severity: 'low',
    owasp: 'API8:2023',
    title: 'API without security headers',
    description: 'Without `security-headers`, responses carry no HSTS, nosniff or frame options, and may leak `Server`/`X-Powered-By`.',
    remediation: 'Add `security-headers: {}`.',
  },
  'security-headers',
  (api) => `${api} sets no security headers.`,
)

const trustedProxiesTooBroad: PostureRule = {
  id: 'trusted-proxies-too-broad',
  severity: 'high',
  owasp: 'API8:2023',
  title: 'Every address is a trusted proxy',
  description: '`trustedProxies` covering the whole address space means any client can set `X-Forwarded-For` and choose the address IP filters, rate limits and logs see.',
  remediation: 'List only the addresses of your load balancers.',
  check(gateway, report) {
    gateway.config.trustedProxies.forEach((cidr, index) => {
      if (/^(0\.0\.0\.0\/0|::\/0|0\.0\.0\.0\/[0-7]|::\/[0-7])$/.test(cidr)) report(['trustedProxies', String(index)], `${cidr} trusts forwarding headers from anyone.`)
    })
  },
}

const deprecatedWithoutSunset: PostureRule = {
  id: 'deprecated-without-sunset',
  severity: 'medium',
  owasp: 'API9:2023',
  title: 'Deprecated operations without a sunset date',
  description: 'Operations the document marks deprecated, with no `x-sunset` date: nothing tells clients when they stop, so they never do.',
  remediation: 'Give each deprecated operation an `x-sunset` (RFC 3339 date) and announce it to clients with the `Sunset` header (RFC 8594).',
  check(gateway, report) {
    for (const api of gateway.apis) {
      if (api.spec === null) continue
      const findings = auditSpec(api.spec, { only: new Set(['deprecated-without-sunset']) }).findings
      if (findings.length > 0) report([...api.path, 'openapi'], `${api.name}: ${String(findings.length)} deprecated operation(s) without a sunset date (first at ${findings[0]?.location.pointer ?? ''}).`)
    }
  },
}

export const POSTURE_RULES: readonly PostureRule[] = [
  routeWithoutAuthentication,
  publicRoute,
  routeWithoutAuthorization,
  loginWithoutRateLimit,
  apiWithoutRateLimit,
  plainHttpListener,
  weakTlsCiphers,
  corsWildcard,
  corsInsecureOrigin,
  adminRemote,
  wafReportOnly,
  noWaf,
  noRequestValidation,
  sensitiveResponsesUnchecked,
  noSecurityHeaders,
  trustedProxiesTooBroad,
  deprecatedWithoutSunset,
]
