/** API8:2023 Security Misconfiguration: transport, CORS, and error responses the contract should describe. */
import { allowsAnonymous, operationsOf, type OperationView } from '../operations.js'
import { defineRule, type Report } from '../rule.js'
import { isObject, type SpecModel } from '../spec-model.js'
import { hasBody } from './resource-limits.js'

export const plainHttpServer = defineRule({
  id: 'plain-http-server',
  severity: 'high',
  owasp: 'API8:2023',
  title: 'Server reachable over plain HTTP',
  description: 'Traffic over `http://` can be read and changed by anyone on the path: tokens, personal data, everything.',
  remediation: 'Serve the API over `https://` (or `wss://`) only.',
  check(spec, report) {
    if (!spec.isOas3) {
      const schemes = spec.document.schemes
      if (Array.isArray(schemes)) schemes.forEach((scheme, index) => { if (scheme !== 'https' && scheme !== 'wss') report(['schemes', String(index)], `Scheme "${String(scheme)}" is not TLS.`) })
      return
    }
    const servers = spec.document.servers
    if (!Array.isArray(servers)) return
    servers.forEach((server, index) => {
      if (isObject(server) && typeof server.url === 'string' && /^http:/i.test(server.url)) report(['servers', String(index), 'url'], `Server ${server.url} uses http://.`)
    })
  },
})

export const corsOriginHeaderMissing = defineRule({
  id: 'cors-origin-header-missing',
  severity: 'medium',
  owasp: 'API8:2023',
  title: 'Response headers without `Access-Control-Allow-Origin`',
  description: 'Responses that describe their headers but not `Access-Control-Allow-Origin` leave the CORS policy undocumented, so nobody checks what browsers are allowed to do.',
  remediation: 'Declare `Access-Control-Allow-Origin` with the allowed origins (never `*` with credentials); the gateway\'s `cors` policy can enforce it.',
  check(spec, report) {
    for (const node of spec.nodes) {
      // `components.headers` is a library of definitions, not a response's headers.
      if (node.path.at(-1) !== 'headers' || node.path.at(-2) === 'properties' || (node.path.length === 2 && node.path[0] === 'components')) continue
      const declared = Object.keys(node.value).some((name) => name.toLowerCase() === 'access-control-allow-origin')
      if (!declared) report([...node.path, 'Access-Control-Allow-Origin'], 'Headers do not declare Access-Control-Allow-Origin.')
    }
  },
})

function responsesObject(operation: OperationView): Record<string, unknown> | undefined {
  return isObject(operation.operation.responses) ? operation.operation.responses : undefined
}

function requireResponse(spec: SpecModel, report: Report, status: string, applies: (operation: OperationView) => boolean): void {
  for (const operation of operationsOf(spec)) {
    const responses = responsesObject(operation)
    if (responses === undefined || !applies(operation)) continue
    const path = [...operation.path, 'responses']
    const name = `${operation.method.toUpperCase()} ${operation.pathTemplate}`
    if (!responses[status]) report([...path, status], `${name} has no ${status} response.`)
    else if (!hasBody(spec, responses[status])) report([...path, status, spec.isOas3 ? 'content' : 'schema'], `The ${status} response of ${name} has no body schema.`)
  }
}

function responseRule(status: string, severity: 'medium' | 'low', why: string, applies: (operation: OperationView) => boolean = () => true) {
  return defineRule({
    id: `missing-${status}-response`,
    severity,
    owasp: 'API8:2023',
    title: `Operation without a ${status} response`,
    description: why,
    remediation: `Declare a ${status} response with a body schema (e.g. \`application/problem+json\`).`,
    check(spec, report) {
      requireResponse(spec, report, status, applies)
    },
  })
}

export const validationErrorMissing = defineRule({
  id: 'missing-validation-error-response',
  severity: 'medium',
  owasp: 'API8:2023',
  title: 'Operation without a 400, 422 or 4XX response',
  description: 'Without a described validation error, clients cannot tell bad input from a server fault, and contract tests cannot check that the API refuses it cleanly.',
  remediation: 'Declare a 400 (or 422, or 4XX) response with an error schema.',
  check(spec, report) {
    for (const operation of operationsOf(spec)) {
      const responses = responsesObject(operation)
      if (responses === undefined) continue
      if (!['400', '422', '4XX', '4xx'].some((status) => status in responses)) report([...operation.path, 'responses'], `${operation.method.toUpperCase()} ${operation.pathTemplate} describes no validation error.`)
    }
  },
})

export const errorResponseWithoutSchema = defineRule({
  id: 'error-response-without-schema',
  severity: 'low',
  owasp: 'API8:2023',
  title: 'Error response without a body schema',
  description: 'Errors without a schema are where stack traces and internal messages leak: nothing says what the body may contain.',
  remediation: 'Give every 4XX/5XX/default response a body schema, ideally RFC 9457 `application/problem+json`.',
  check(spec, report) {
    for (const operation of operationsOf(spec)) {
      for (const response of operation.responses) {
        if (!/^[45]|^default$/.test(response.status)) continue
        const described = response.contents.some((content) => content.schema !== undefined)
        if (!described) report([...response.path, spec.isOas3 ? 'content' : 'schema'], `Response ${response.status} of ${operation.method.toUpperCase()} ${operation.pathTemplate} has no body schema.`)
      }
    }
  },
})

export const MISCONFIGURATION_RULES = [
  plainHttpServer,
  corsOriginHeaderMissing,
  validationErrorMissing,
  responseRule('401', 'medium', 'A described 401 says how unauthenticated requests are refused; contract tests can then check that no implementation detail leaks instead.'),
  responseRule('403', 'low', 'Secured operations refuse callers without the right scope or role with 403; describing it documents that authorization exists.', (operation) => !allowsAnonymous(operation)),
  responseRule('500', 'medium', 'A described 500 fixes the shape of server errors, so tests can check that no stack trace or internal message leaks.'),
  errorResponseWithoutSchema,
]
