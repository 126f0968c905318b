/**
 * The admin listener's security events, for the gateway's admin API and the cluster primary's
 * alike: each write once its audit entry is stored, each request refused for its token, and each
 * dashboard log-in (failed ones with the reason, never the token presented).
 */
import type { NewAuditEntry } from '../stores/data-store.js'
import { classOfAction, classOfAdminChange, eventPath, EVENT_CLASS_BY_CODE, type EventClass } from '../observability/security-events/security-event.js'
import type { SecurityEvents } from '../observability/security-events/security-events.js'
import type { DashboardLogin } from './dashboard/dashboard.js'

export interface AdminEventHooks {
  /** Management's `onAudited`. */
  readonly onAudited: (entry: NewAuditEntry) => void
  /** The admin server's `onAuthFailure`. */
  readonly onAuthFailure: (source: string, method: string, path: string, reason: string) => void
  /** The dashboard's `onLogin`. */
  readonly onDashboardLogin: (login: DashboardLogin) => void
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
    onDashboardLogin(login) {
      if (login.outcome === 'success') {
        events?.emit({
          class: classOfAction('dashboard-login'),
          message: `dashboard log-in (${login.via}) of ${login.actor ?? ''}`,
          source: { ip: login.source },
          ...(login.actor === null ? {} : { user: { id: login.actor } }),
          portcullis: { policy: 'admin', details: { via: login.via } },
        })
        return
      }
      events?.emit({
        class: EVENT_CLASS_BY_CODE.GW_ERR_AUTH_INVALID as EventClass,
        code: 'GW_ERR_DASHBOARD_LOGIN_FAILED',
        reason: login.reason ?? 'invalid',
        message: `dashboard log-in (${login.via}) failed (GW_ERR_DASHBOARD_LOGIN_FAILED): ${login.reason ?? 'invalid'}`,
        source: { ip: login.source },
        url: { path: login.via === 'oidc' ? '/dashboard/oidc/callback' : '/dashboard/login' },
        portcullis: { policy: 'admin', details: { via: login.via } },
      })
    },
  }
}
