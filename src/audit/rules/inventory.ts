/** API7:2023 SSRF candidates and API9:2023 Improper Inventory Management. */
import { debugSegmentOf } from '../operation-kinds.js'
import { HTTP_METHODS, operationsOf } from '../operations.js'
import { defineRule } from '../rule.js'
import { isObject, type JsonObject } from '../spec-model.js'

const URL_PARAMETER = /(^(callback|redirect)|(_url|Url|-url))$|^(url|uri|webhook|webhook_?url|callback_?url|redirect_?uri|return_?url|next|target|dest|destination|feed|image_?url|avatar_?url)$/
const ENVIRONMENT = /(local|sandbox|alpha|beta|test|testing|stag|staging|prod|production|next|preprod|preproduction)/i

function servers(document: JsonObject): { server: JsonObject; path: string[] }[] {
  const list = document.servers
  if (!Array.isArray(list)) return []
  return list.flatMap((server, index) => (isObject(server) ? [{ server, path: ['servers', String(index)] }] : []))
}

export const urlParameter = defineRule({
  id: 'url-parameter',
  severity: 'low',
  owasp: 'API7:2023',
  title: 'Parameter takes a URL the server may fetch',
  description: 'Callbacks, redirects, webhooks and image URLs are where server-side request forgery starts: the server fetches what the client names.',
  remediation: 'Allow only known hosts and schemes, resolve and refuse private addresses, do not follow redirects, and keep responses away from the client.',
  check(spec, report) {
    const paths = spec.document.paths
    if (!isObject(paths)) return
    const visit = (parameters: unknown, at: string[]) => {
      if (!Array.isArray(parameters)) return
      parameters.forEach((raw, index) => {
        const parameter = spec.resolve(raw, [...at, String(index)]).value
        if (!isObject(parameter) || typeof parameter.name !== 'string') return
        const schema = spec.resolve(parameter.schema, []).value
        const isUri = isObject(schema) && (schema.format === 'uri' || schema.format === 'url') || parameter.format === 'uri'
        if (URL_PARAMETER.test(parameter.name) || isUri) report([...at, String(index), 'name'], `Parameter "${parameter.name}" takes a URL.`)
      })
    }
    for (const [template, item] of Object.entries(paths)) {
      if (!isObject(item)) continue
      visit(item.parameters, ['paths', template, 'parameters'])
      for (const method of HTTP_METHODS) if (isObject(item[method])) visit((item[method]).parameters, ['paths', template, method, 'parameters'])
    }
  },
})

export const serverAudienceUndeclared = defineRule({
  id: 'server-audience-undeclared',
  severity: 'medium',
  owasp: 'API9:2023',
  title: 'Server does not declare its audience',
  description: 'Without `x-internal: true|false` on each server, documentation tools publish internal servers with the public ones.',
  remediation: 'Add `x-internal: true` or `x-internal: false` to every server.',
  formats: ['oas3.0', 'oas3.1'],
  check(spec, report) {
    for (const { server, path } of servers(spec.document)) if (server['x-internal'] === undefined) report([...path, 'x-internal'], `Server ${String(server.url)} does not declare x-internal.`)
  },
})

export const serverEnvironmentUndeclared = defineRule({
  id: 'server-environment-undeclared',
  severity: 'medium',
  owasp: 'API9:2023',
  title: 'Server does not say which environment it is',
  description: 'Servers whose description does not say production, staging, sandbox… get mixed up: test data reaches production and test servers get production traffic.',
  remediation: 'Name the environment in each server description ("Production", "Staging", "Local").',
  formats: ['oas3.0', 'oas3.1'],
  check(spec, report) {
    for (const { server, path } of servers(spec.document)) {
      if (!(typeof server.description === 'string' && ENVIRONMENT.test(server.description))) report([...path, 'description'], `Server ${String(server.url)} does not name its environment.`)
    }
  },
})

export const deprecatedWithoutSunset = defineRule({
  id: 'deprecated-without-sunset',
  severity: 'low',
  owasp: 'API9:2023',
  title: 'Deprecated operation without a sunset date',
  description: 'A deprecated operation with no announced end keeps running, and keeps being attacked, forever.',
  remediation: 'Declare `x-sunset` (an RFC 3339 date) on deprecated operations and send the `Sunset` header (RFC 8594); the gateway can do both.',
  check(spec, report) {
    for (const operation of operationsOf(spec)) {
      if (operation.operation.deprecated === true && operation.operation['x-sunset'] === undefined) report([...operation.path, 'deprecated'], `${operation.method.toUpperCase()} ${operation.pathTemplate} is deprecated without x-sunset.`)
    }
  },
})

export const debugEndpointDocumented = defineRule({
  id: 'debug-endpoint-documented',
  severity: 'medium',
  owasp: 'API9:2023',
  title: 'Debug or diagnostic endpoint in the document',
  description: 'Debugging endpoints (profilers, heap and thread dumps, debug variables, framework consoles) expose internals and are meant for development; documented, they are part of the published surface.',
  remediation: 'Remove debug endpoints from production builds, or serve them on a separate loopback-only port, and take them out of the document.',
  check(spec, report) {
    for (const operation of operationsOf(spec)) {
      const segment = debugSegmentOf(operation.pathTemplate)
      if (segment !== undefined) report(operation.path, `${operation.method.toUpperCase()} ${operation.pathTemplate} is a debugging endpoint ("${segment}").`)
    }
  },
})

export const INVENTORY_RULES = [urlParameter, serverAudienceUndeclared, serverEnvironmentUndeclared, deprecatedWithoutSunset, debugEndpointDocumented]
