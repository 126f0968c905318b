/** API3:2023 Broken Object Property Level Authorization: open objects (mass assignment) and exposed properties. */
import { DETECTORS, type Detector, type DetectorName } from '../../sensitive/detectors.js'
import { operationsOf, schemaTree } from '../operations.js'
import { defineRule } from '../rule.js'
import { isObject, type Path, type SpecModel } from '../spec-model.js'

const SENSITIVE_NAME = /^(password|passwd|pwd|password_?hash|passcode|secret|client_?secret|private_?key|ssn|social_?security(_?number)?|card_?number|credit_?card(_?number)?|pan|cvv|cvc|cvv2|security_?code|pin|pin_?code|salt|otp_?secret|mfa_?secret|totp_?secret)$/i
// Credentials in examples are `secret-in-example`'s: one finding per problem.
const RESPONSE_DETECTORS: readonly Detector[] = (['pan', 'ssn', 'iban'] as const satisfies readonly DetectorName[]).map((name) => DETECTORS[name])
const SECRET_DETECTORS: readonly Detector[] = (['jwt', 'apiKey', 'privateKey'] as const satisfies readonly DetectorName[]).map((name) => DETECTORS[name])

const isTruthy = (value: unknown) => value !== undefined && value !== null && value !== false && value !== 0 && value !== ''

/** A detector that confirms a match anywhere in `text`, or undefined. */
export function detect(text: string, detectors: readonly Detector[]): Detector | undefined {
  for (const detector of detectors) {
    if (!detector.mayContain(text)) continue
    detector.pattern.lastIndex = 0
    for (const match of text.matchAll(detector.pattern)) if (detector.confirm === undefined || detector.confirm(match[0])) return detector
  }
  return undefined
}

/** Every string in an example value, with its path. Bounded: examples can be large. */
function* exampleStrings(value: unknown, path: Path, budget = { left: 10_000 }): Generator<{ text: string; path: Path }> {
  if (budget.left-- <= 0) return
  if (typeof value === 'string') yield { text: value, path }
  else if (Array.isArray(value)) for (const [index, item] of value.entries()) yield* exampleStrings(item, [...path, String(index)], budget)
  else if (isObject(value)) for (const [key, item] of Object.entries(value)) yield* exampleStrings(item, [...path, key], budget)
}

function openKeyword(spec: SpecModel): 'additionalProperties' | 'unevaluatedProperties' {
  return spec.format === 'oas3.1' ? 'unevaluatedProperties' : 'additionalProperties'
}

function openPropertiesRule(keyword: 'additionalProperties' | 'unevaluatedProperties', formats: readonly ('oas3.0' | 'oas3.1')[]) {
  return defineRule({
    id: keyword === 'additionalProperties' ? 'additional-properties-allowed' : 'unevaluated-properties-allowed',
    severity: 'medium',
    owasp: 'API3:2023',
    title: `\`${keyword}\` allows extra properties`,
    description: `An object schema that sets \`${keyword}\` to anything but false accepts properties nobody reviewed, the raw material of mass assignment.`,
    remediation: `Set \`${keyword}: false\`, or bound the object with \`maxProperties\` where a map is intended.`,
    formats,
    check(spec, report) {
      for (const node of spec.nodes) {
        if (spec.hasType(node.value, 'object') && isTruthy(node.value[keyword])) report([...node.path, keyword], `Object schema sets ${keyword} to ${JSON.stringify(node.value[keyword])}.`)
      }
    },
  })
}

function unboundedMapRule(keyword: 'additionalProperties' | 'unevaluatedProperties', formats: readonly ('oas3.0' | 'oas3.1')[]) {
  return defineRule({
    id: keyword === 'additionalProperties' ? 'additional-properties-unbounded' : 'unevaluated-properties-unbounded',
    severity: 'medium',
    owasp: 'API3:2023',
    title: `Map-like object (\`${keyword}\` schema) without \`maxProperties\``,
    description: `An object whose \`${keyword}\` is a schema is a map: without \`maxProperties\` a client can send as many entries as it likes.`,
    remediation: 'Add `maxProperties`.',
    formats,
    check(spec, report) {
      for (const node of spec.nodes) {
        const open = node.value[keyword]
        if (spec.hasType(node.value, 'object') && isTruthy(open) && open !== true && node.value.maxProperties === undefined) report([...node.path, 'maxProperties'], `Map-like object has no maxProperties.`)
      }
    },
  })
}

export const requestBodyOpenObject = defineRule({
  id: 'request-body-open-object',
  severity: 'medium',
  owasp: 'API3:2023',
  title: 'Request body object accepts undeclared properties',
  description: 'Request objects that leave `additionalProperties` (or, in 3.1, `unevaluatedProperties`) open let clients send fields the API did not mean to accept, such as `role` or `isAdmin` (mass assignment).',
  remediation: 'Close request objects: `additionalProperties: false` (3.0), `unevaluatedProperties: false` on composed schemas (3.1); or run the gateway with `openapi-validation` stripping undeclared properties.',
  check(spec, report) {
    const keyword = openKeyword(spec)
    // Shared by all operations: a schema used by many is examined (and reported) once.
    const seen = new Set<unknown>()
    for (const operation of operationsOf(spec)) {
      for (const body of operation.requestBodies) {
        if (!/json|xml|form/i.test(body.mediaType)) continue
        for (const { schema, path } of schemaTree(spec, body.schema, body.path, seen)) {
          if (path.at(-2) === 'allOf' || !(spec.hasType(schema, 'object') || isObject(schema.properties))) continue
          const closed = schema.additionalProperties === false || schema[keyword] === false || isObject(schema.additionalProperties) || isObject(schema[keyword])
          if (!closed) report([...path, 'additionalProperties'], `Request body object of ${operation.method.toUpperCase()} ${operation.pathTemplate} accepts undeclared properties.`)
        }
      }
    }
  },
})

export const sensitiveFieldInResponse = defineRule({
  id: 'sensitive-field-in-response',
  severity: 'high',
  owasp: 'API3:2023',
  title: 'Response exposes sensitive data',
  description: 'A response schema declares a property named like a password, secret, card number or national identifier, or its examples hold personal data the masking detectors recognise (card numbers that pass Luhn, SSNs, IBANs).',
  remediation: 'Remove the property from the response (or mark it `writeOnly`), return a masked form, or mask it at the gateway (`response-masking`).',
  check(spec, report) {
    const seen = new Set<unknown>()
    for (const operation of operationsOf(spec)) {
      for (const response of operation.responses) {
        for (const content of response.contents) {
          for (const { schema, path } of schemaTree(spec, content.schema, content.path, seen)) {
            if (isObject(schema.properties)) {
              for (const [name, property] of Object.entries(schema.properties)) {
                if (SENSITIVE_NAME.test(name) && !(isObject(property) && property.writeOnly === true)) report([...path, 'properties', name], `Response property "${name}" looks sensitive.`)
              }
            }
            for (const key of ['example', 'examples'] as const) {
              for (const found of exampleStrings(schema[key], [...path, key])) {
                const detector = detect(found.text, RESPONSE_DETECTORS)
                if (detector) report(found.path, `Response example holds data that looks like ${detector.name}.`)
              }
            }
          }
        }
      }
    }
  },
})

export const secretInExample = defineRule({
  id: 'secret-in-example',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'Secret in an example',
  description: 'An example, default or example value holds what looks like a real credential (a JWT, an API key, a private key). Published documents leak it to everyone.',
  remediation: 'Replace it with an obvious placeholder and revoke the credential if it was ever real.',
  check(spec, report) {
    const visit = (value: unknown, path: Path, inExample: boolean, budget: { left: number }) => {
      if (budget.left-- <= 0) return
      if (inExample) {
        for (const found of exampleStrings(value, path)) {
          const detector = detect(found.text, SECRET_DETECTORS)
          if (detector) report(found.path, `Example holds what looks like a ${detector.name === 'privateKey' ? 'private key' : detector.name === 'jwt' ? 'JWT' : 'API key'}.`)
        }
        return
      }
      if (Array.isArray(value)) value.forEach((item, index) => { visit(item, [...path, String(index)], false, budget) })
      else if (isObject(value)) {
        const parentKey = path.at(-1) ?? ''
        for (const [key, child] of Object.entries(value)) {
          const isExample = (key === 'example' || key === 'x-example' || key === 'default' || (key === 'examples' && parentKey !== 'components') || (key === 'value' && path.at(-2) === 'examples')) && parentKey !== 'properties'
          visit(child, [...path, key], isExample, budget)
        }
      }
    }
    visit(spec.document, [], false, { left: 1_000_000 })
  },
})

export const PROPERTY_RULES = [
  openPropertiesRule('additionalProperties', ['oas3.0']),
  unboundedMapRule('additionalProperties', ['oas3.0']),
  openPropertiesRule('unevaluatedProperties', ['oas3.1']),
  unboundedMapRule('unevaluatedProperties', ['oas3.1']),
  requestBodyOpenObject,
  sensitiveFieldInResponse,
  secretInExample,
]
