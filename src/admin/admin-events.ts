/**
 * The admin listener's security events, for the gateway's admin API and the cluster primary's
 * alike: each write once its audit entry is stored, and each request refused for its token.
 */
import type { NewAuditEntry } from '../stores/data-store.js'
import { classOfAdminChange, eventPath, EVENT_CLASS_BY_CODE, type EventClass } from '../observability/security-events/security-event.js'
import type { SecurityEvents } from '../observability/security-events/security-events.js'

export interface AdminEventHooks {
  /** Management's `onAudited`. */
  readonly onAudited: (entry: NewAuditEntry) => void
  /** The admin server's `onAuthFailure`. */
  readonly onAuthFailure: (source: string, method: string, path: string, reason: string) => void
}

export function adminEventHooks(events: SecurityEvents | null): AdminEventHooks {
  return {
    onAudited(entry) {
      events?.emit({
        class: classOfAdminChange(entry.action, 'success'),
        message: `admin ${entry.action} ${entry.target}`,
        source: { ip: entry.source },
        user: { id: entry.actor },
        portcullis: { policy: 'admin', details: { action: entry.action, target: entry.target, ...entry.details } },
      })
    },
    onAuthFailure(source, method, path, reason) {
      const shown = eventPath(path)
      events?.emit({
        class: EVENT_CLASS_BY_CODE.GW_ERR_AUTH_INVALID as EventClass,
        code: 'GW_ERR_ADMIN_UNAUTHORIZED',
        reason,
        message: `admin authentication-failed (GW_ERR_ADMIN_UNAUTHORIZED): ${method} ${shown}`,
        source: { ip: source },
        url: { path: shown },
        portcullis: { policy: 'admin' },
      })
    },
  }
}
