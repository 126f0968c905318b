/** `portcullis authz check` results as the CLI prints them: the decision, then why, field by field. */
import type { Principal } from '../../identity/principal.js'
import type { OfflineResult } from '../../policies/authz/check-offline.js'
import type { AuthzDecision } from '../../policies/authz/index.js'
import { formatFields } from './management.js'

const ALLOWED_BECAUSE: Record<string, string> = {
  public: 'public operation (security: [])',
  undeclared: 'the operation declares no security requirements and authz.undeclared is allow',
  requirements: "the principal meets one of the operation's security requirements",
}

function describePrincipal(principal: Principal | undefined): string {
  if (principal === undefined) return '(anonymous)'
  const list = (values: readonly string[]) => (values.length === 0 ? '-' : values.join(' '))
  return `${principal.id} (${principal.method}; roles: ${list(principal.roles)}; scopes: ${list(principal.scopes)}${principal.plan === null ? '' : `; plan: ${principal.plan}`})`
}

function reasonOf(decision: AuthzDecision): string {
  if (decision.reason !== null) return decision.reason
  if (decision.rule === 'cedar') return `permitted by ${decision.policies.join(', ')} (after the security requirements)`
  return ALLOWED_BECAUSE[decision.rule] ?? decision.rule
}

export function formatAuthzCheck(request: string, principal: Principal | undefined, result: OfflineResult): string {
  if (result.kind === 'not-routed') {
    const allow = result.allow === undefined ? '' : ` (allowed: ${result.allow})`
    return `NOT ROUTED  ${request}\n${formatFields([['answer', `${result.status} ${result.code}${allow}`]]).replace(/^(?=.)/gm, '  ')}`
  }
  const fields: [string, string][] = [
    ['api', result.api],
    ['route', result.route],
  ]
  let verdict = 'ALLOW'
  if (result.kind === 'no-authz') {
    fields.push(['principal', describePrincipal(principal)], ['reason', 'the route has no authz policy'])
  } else {
    const { decision } = result
    verdict = decision.decision === 'allow' ? 'ALLOW' : 'DENY'
    fields.push(['operation', decision.operation], ['principal', describePrincipal(principal)], ['rule', decision.rule])
    if (decision.policies.length > 0) fields.push(['policies', decision.policies.join(', ')])
    fields.push(['reason', reasonOf(decision)])
    if (result.answer !== null) fields.push(['answer', `${result.answer.status} ${result.answer.code ?? ''}`.trimEnd()])
    if (decision.decision === 'allow' && result.responseCheck) fields.push(['then', "the response body's owner is checked after the upstream (not evaluated offline)"])
  }
  if (result.notEvaluated.length > 0) fields.push(['not evaluated', result.notEvaluated.join(', ')])
  return `${verdict}  ${request}\n${formatFields(fields).replace(/^(?=.)/gm, '  ')}`
}
