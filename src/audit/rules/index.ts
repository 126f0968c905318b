/** Every audit rule, in report order (by OWASP category). */
import type { AuditRule } from '../rule.js'
import { AUTHENTICATION_RULES } from './authentication.js'
import { AUTHORIZATION_RULES } from './authorization.js'
import { INVENTORY_RULES } from './inventory.js'
import { MISCONFIGURATION_RULES } from './misconfiguration.js'
import { PROPERTY_RULES } from './properties.js'
import { RESOURCE_LIMIT_RULES } from './resource-limits.js'

export const AUDIT_RULES: readonly AuditRule[] = [...AUTHORIZATION_RULES, ...AUTHENTICATION_RULES, ...PROPERTY_RULES, ...RESOURCE_LIMIT_RULES, ...MISCONFIGURATION_RULES, ...INVENTORY_RULES].sort(
  (a, b) => Number(a.owasp.slice(3, a.owasp.indexOf(':'))) - Number(b.owasp.slice(3, b.owasp.indexOf(':'))),
)
