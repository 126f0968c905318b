/** API2:2023 Broken Authentication: how credentials are defined, carried and required. */
import { allowsAnonymous, operationsOf, WRITE_METHODS } from '../operations.js'
import { defineRule } from '../rule.js'
import { isObject } from '../spec-model.js'

const CREDENTIAL_NAME = /client_?secret|token|access_?token|refresh_?token|id_?token|password|secret|api-?key/i

export const httpBasicAuth = defineRule({
  id: 'http-basic-auth',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'Security scheme uses HTTP Basic',
  description: 'Basic authentication sends a reusable password with every request; intercepted or logged once, it is leaked for good.',
  remediation: 'Use OAuth 2.0 or OpenID Connect with short-lived tokens, or at least API keys that can be rotated per client.',
  check(spec, report) {
    for (const scheme of spec.securitySchemes) {
      if (scheme.httpScheme === 'basic') report([...scheme.path, spec.isOas3 ? 'scheme' : 'type'], `Security scheme "${scheme.name}" uses HTTP Basic.`)
    }
  },
})

export const insecureAuthScheme = defineRule({
  id: 'insecure-auth-scheme',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'Authentication scheme is outdated or insecure',
  description: 'Negotiate (NTLM/Kerberos over HTTP) and OAuth 1.0 are considered insecure or obsolete HTTP authentication schemes.',
  remediation: 'Use the `bearer` scheme with OAuth 2.0 access tokens, or OpenID Connect.',
  check(spec, report) {
    for (const scheme of spec.securitySchemes) {
      if (scheme.httpScheme === 'negotiate' || scheme.httpScheme === 'oauth') report([...scheme.path, 'scheme'], `Security scheme "${scheme.name}" uses the ${scheme.httpScheme} HTTP scheme.`)
    }
  },
})

export const apiKeyInUrl = defineRule({
  id: 'api-key-in-url',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'API key passed in the URL',
  description: 'Keys in the path or query string end up in access logs, proxies, browser history and Referer headers.',
  remediation: 'Send API keys in a request header (`in: header`).',
  check(spec, report) {
    for (const scheme of spec.securitySchemes) {
      if (scheme.scheme.type === 'apiKey' && (scheme.scheme.in === 'query' || scheme.scheme.in === 'path')) report([...scheme.path, 'in'], `API key "${scheme.name}" is passed in the ${scheme.scheme.in}.`)
    }
  },
})

export const apiKeyInCookie = defineRule({
  id: 'api-key-in-cookie',
  severity: 'medium',
  owasp: 'API2:2023',
  title: 'API key passed in a cookie',
  description: 'Browsers attach cookies to cross-site requests, so a key in a cookie authenticates forged requests (CSRF) unless every operation defends against them.',
  remediation: 'Send API keys in a request header; if a cookie is required, make it SameSite=Strict and require a CSRF token.',
  formats: ['oas3.0', 'oas3.1'],
  check(spec, report) {
    for (const scheme of spec.securitySchemes) {
      if (scheme.scheme.type === 'apiKey' && scheme.scheme.in === 'cookie') report([...scheme.path, 'in'], `API key "${scheme.name}" is passed in a cookie.`)
    }
  },
})

export const credentialsInUrl = defineRule({
  id: 'credentials-in-url',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'Credentials in a path or query parameter',
  description: 'Parameters named like secrets, tokens, passwords or API keys in the URL are logged and cached wherever the URL goes.',
  remediation: 'Move the credential to a header or the request body.',
  formats: ['oas3.0', 'oas3.1'],
  check(spec, report) {
    for (const node of spec.nodes) {
      if (node.path.at(-2) !== 'parameters') continue
      const { name, in: location } = node.value
      if (typeof location !== 'string' || !/query|path/.test(location) || typeof name !== 'string') continue
      if (CREDENTIAL_NAME.test(name)) report([...node.path, 'name'], `Parameter "${name}" carries a credential in the ${location}.`)
    }
  },
})

export const jwtWithoutRfc8725 = defineRule({
  id: 'jwt-without-rfc8725',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'JWT scheme does not declare RFC 8725 best practices',
  description: 'RFC 8725 lists the JWT pitfalls (`alg: none`, algorithm confusion, weak keys, missing audience checks). A scheme using JWTs should state that it follows it.',
  remediation: 'Validate tokens as RFC 8725 requires and say so in the security scheme description ("…conforms to RFC8725").',
  formats: ['oas3.0', 'oas3.1'],
  check(spec, report) {
    for (const scheme of spec.securitySchemes) {
      const usesJwt = scheme.scheme.type === 'oauth2' || (typeof scheme.scheme.bearerFormat === 'string' && scheme.scheme.bearerFormat.toLowerCase() === 'jwt')
      const description = scheme.scheme.description
      if (usesJwt && !(typeof description === 'string' && description.includes('RFC8725'))) report([...scheme.path, 'description'], `Security scheme "${scheme.name}" does not declare RFC8725 in its description.`)
    }
  },
})

export const oauthWithoutRefresh = defineRule({
  id: 'oauth-without-refresh',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'OAuth flow without refresh tokens',
  description: 'Without a refresh URL, access tokens are likely long-lived: a stolen token keeps working.',
  remediation: 'Issue short-lived access tokens with refresh tokens and declare `refreshUrl` in the flow.',
  formats: ['oas3.0', 'oas3.1'],
  check(spec, report) {
    for (const scheme of spec.securitySchemes) {
      for (const flow of scheme.oauthFlows) {
        if (!flow.flow.refreshUrl) report([...flow.path, 'refreshUrl'], `OAuth flow "${flow.name}" of "${scheme.name}" declares no refreshUrl.`)
      }
    }
  },
})

export const oauthImplicitFlow = defineRule({
  id: 'oauth-implicit-flow',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'OAuth implicit flow',
  description: 'The implicit grant returns tokens in the redirect URL, exposed to history, logs and injection; OAuth 2.0 Security BCP (RFC 9700) says not to use it.',
  remediation: 'Use the authorization code flow with PKCE.',
  check(spec, report) {
    for (const scheme of spec.securitySchemes) {
      for (const flow of scheme.oauthFlows) if (flow.name === 'implicit') report(flow.path, `"${scheme.name}" offers the implicit flow.`)
    }
  },
})

export const oauthPasswordFlow = defineRule({
  id: 'oauth-password-flow',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'OAuth resource owner password flow',
  description: 'The password grant hands user passwords to the client and cannot support multi-factor authentication; RFC 9700 says it must not be used.',
  remediation: 'Use the authorization code flow with PKCE (or client credentials between services).',
  check(spec, report) {
    for (const scheme of spec.securitySchemes) {
      for (const flow of scheme.oauthFlows) if (flow.name === 'password') report(flow.path, `"${scheme.name}" offers the password flow.`)
    }
  },
})

export const writeWithoutSecurity = defineRule({
  id: 'write-without-security',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'Write operation without security',
  description: 'A POST, PUT, PATCH or DELETE that declares no security requirement, or accepts anonymous callers (`{}`), lets anyone change data.',
  remediation: 'Declare a security requirement on the operation or at the document level, without an empty `{}` alternative.',
  check(spec, report) {
    for (const operation of operationsOf(spec)) {
      if (WRITE_METHODS.has(operation.method) && allowsAnonymous(operation)) report([...operation.path, 'security'], `${operation.method.toUpperCase()} ${operation.pathTemplate} can be called without credentials.`)
    }
  },
})

export const readWithoutSecurity = defineRule({
  id: 'read-without-security',
  severity: 'medium',
  owasp: 'API2:2023',
  title: 'Read operation without security',
  description: 'A GET or HEAD without any security requirement is public; that should be a decision, not an omission.',
  remediation: 'Declare a security requirement, or `security: [{}]` on the operation where public access is intended.',
  check(spec, report) {
    for (const operation of operationsOf(spec)) {
      if ((operation.method === 'get' || operation.method === 'head') && (operation.security === undefined || operation.security.length === 0))
        report([...operation.path, 'security'], `${operation.method.toUpperCase()} ${operation.pathTemplate} declares no security.`)
    }
  },
})

export const undefinedSecurityScheme = defineRule({
  id: 'undefined-security-scheme',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'Security requirement names an undefined scheme',
  description: 'A requirement that names no defined scheme cannot be enforced or documented: gateways and generators ignore it or fail.',
  remediation: 'Define the scheme under `components.securitySchemes` (`securityDefinitions` in Swagger 2.0) or fix the name.',
  check(spec, report) {
    const defined = new Set(spec.securitySchemes.map((scheme) => scheme.name))
    const check = (requirements: unknown, path: readonly string[]) => {
      if (!Array.isArray(requirements)) return
      requirements.forEach((requirement, index) => {
        if (!isObject(requirement)) return
        for (const name of Object.keys(requirement)) if (!defined.has(name)) report([...path, String(index), name], `Security scheme "${name}" is not defined.`)
      })
    }
    check(spec.document.security, ['security'])
    for (const operation of operationsOf(spec)) check(operation.operation.security, [...operation.path, 'security'])
  },
})

export const AUTHENTICATION_RULES = [
  httpBasicAuth,
  insecureAuthScheme,
  apiKeyInUrl,
  apiKeyInCookie,
  credentialsInUrl,
  jwtWithoutRfc8725,
  oauthWithoutRefresh,
  oauthImplicitFlow,
  oauthPasswordFlow,
  writeWithoutSecurity,
  readWithoutSecurity,
  undefinedSecurityScheme,
]
