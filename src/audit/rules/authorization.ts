/** API1:2023 object-level and API5:2023 function-level authorization, as far as a document shows them. */
import { allowsAnonymous, operationsOf } from '../operations.js'
import { isAdminPath } from '../operation-kinds.js'
import { defineRule } from '../rule.js'
import { isObject } from '../spec-model.js'

const ID_NAME = /^id$|(_id|Id|-id)$/

export const numericIdParameter = defineRule({
  id: 'numeric-id-parameter',
  severity: 'high',
  owasp: 'API1:2023',
  title: 'Identifier parameter is a sequential integer',
  description: 'Integer identifiers can be enumerated: an attacker walks `/orders/1`, `/orders/2`… and any missing object-level check leaks every object.',
  remediation: 'Use random identifiers (UUIDs, ULIDs or other unguessable strings) and check ownership on every access.',
  check(spec, report) {
    for (const operation of operationsOf(spec)) {
      for (const { parameter, path, schema } of operation.parameters) {
        if (typeof parameter.name !== 'string' || !ID_NAME.test(parameter.name) || !spec.hasType(schema, 'integer')) continue
        report(spec.isOas3 ? [...path, 'schema'] : [...path, 'type'], `Parameter "${parameter.name}" is an integer identifier.`)
      }
    }
  },
})

export const adminSharesSecurity = defineRule({
  id: 'admin-shares-security',
  severity: 'high',
  owasp: 'API5:2023',
  title: 'Admin operation has the same security requirement as a non-admin one',
  description: 'When `/admin` operations accept exactly the credentials ordinary operations accept, only the server code stands between any user and the admin functions.',
  remediation: 'Give admin operations their own scheme or scopes (e.g. `admin:write`) so that the gateway can enforce the difference.',
  check(spec, report) {
    const nonAdmin = new Set<string>()
    const admin: { hash: string; path: readonly string[]; template: string }[] = []
    for (const operation of operationsOf(spec)) {
      const declared: unknown = operation.operation.security
      if (!Array.isArray(declared)) continue
      declared.forEach((entry: unknown, index) => {
        if (!isObject(entry)) return
        const hash = JSON.stringify(entry)
        if (operation.pathTemplate.includes('/admin')) admin.push({ hash, path: [...operation.path, 'security', String(index)], template: operation.pathTemplate })
        else nonAdmin.add(hash)
      })
    }
    for (const entry of admin) if (nonAdmin.has(entry.hash)) report(entry.path, `Admin endpoint ${entry.template} has the same security requirement as a non-admin endpoint.`)
  },
})

export const adminOperationWithoutScopes = defineRule({
  id: 'admin-operation-without-scopes',
  severity: 'high',
  owasp: 'API5:2023',
  title: 'Administrative operation requires no scope or role',
  description: 'An admin-looking operation (`/admin`, `/internal`, `/management`…) whose requirements name no scope admits every authenticated caller as far as the contract says.',
  remediation: 'Require a dedicated scope (OAuth 2.0 / OpenID Connect) for administrative operations, or a separate scheme only administrators hold.',
  check(spec, report) {
    const scoped = new Set(spec.securitySchemes.filter((scheme) => scheme.scheme.type === 'oauth2' || scheme.scheme.type === 'openIdConnect').map((scheme) => scheme.name))
    for (const operation of operationsOf(spec)) {
      if (!isAdminPath(operation.pathTemplate) || allowsAnonymous(operation)) continue
      const requirements = operation.security ?? []
      const anyScope = requirements.some((requirement) => Object.entries(requirement).some(([name, scopes]) => scoped.has(name) && scopes.length > 0))
      if (!anyScope) report([...operation.path, 'security'], `${operation.method.toUpperCase()} ${operation.pathTemplate} looks administrative but requires no scope.`)
    }
  },
})

export const AUTHORIZATION_RULES = [numericIdParameter, adminSharesSecurity, adminOperationWithoutScopes]
