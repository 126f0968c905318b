/** The dashboard as `admin.dashboard` configures it, for a gateway process and a cluster primary alike. */
import type { Logger } from 'pino'
import type { GatewayConfig } from '../../config/schema.js'
import type { DataStore } from '../../stores/data-store.js'
import type { ManagementReply, ManagementRequest } from '../management-routes.js'
import { buildOverview } from '../overview-routes.js'
import { createDashboard, type Dashboard, type DashboardLogin } from './dashboard.js'

export interface DashboardDeps {
  readonly routes: ((req: ManagementRequest) => Promise<ManagementReply> | null) | null
  readonly store: DataStore | null
  readonly metricsText: () => Promise<string>
  readonly clock: { now(): number }
  readonly logger: Logger
  readonly onLogin: (login: DashboardLogin) => void
}

/** The live stream's overview covers the last hour, like the overview page. */
const LIVE_WINDOW_SEC = 3600

/** The dashboard, or null when the admin listener has none (`admin.dashboard.enabled: false`). */
export function configuredDashboard(admin: NonNullable<GatewayConfig['admin']>, deps: DashboardDeps): Dashboard | null {
  const settings = admin.dashboard
  if (!settings.enabled) return null
  return createDashboard({
    tokenHash: admin.auth.tokenHash,
    settings,
    routes: deps.routes,
    store: deps.store,
    overview: () => buildOverview({ metricsText: deps.metricsText, store: deps.store, clock: deps.clock }, LIVE_WINDOW_SEC),
    clock: deps.clock,
    onLogin: deps.onLogin,
    onError: (error, context) => deps.logger.error({ err: error, call: context }, 'dashboard request failed'),
  })
}
