/** Public API of Portcullis as a library: re-exports only. */
export { startGateway, type Gateway, type GatewayOptions, type ReloadResult } from './gateway.js'
export { definePolicy, type PolicyDefinition, type PolicyHooks, type PolicyDeps, type PolicyService, type ServiceDeps, type DeclaredDeps } from './pipeline/define-policy.js'
export type { AccessLogEntry } from './observability/access-log.js'
export { respond, type Reply, type Verdict } from './pipeline/reply.js'
export { RequestContext, type RequestState, type ClientCertificate, type ClientInfo, type TlsInfo, type MatchedRoute } from './pipeline/context.js'
export { ERROR_CODES, OPERATOR_ERROR_CODES, GatewayError, ConfigError, type ErrorCode, type ConfigProblem } from './errors.js'
export { builtinPolicies } from './policies/index.js'
export { createConfigLoader, type LoadedConfig } from './config/load-config.js'
