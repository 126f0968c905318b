/**
 * Every scan check, in the order they run: authentication first (later checks rely on the
 * identities working); reads and probes next (user enumeration before the rate-limit burst,
 * which could lock accounts or rate-limit the log-in); then the injections, ReDoS after them (its
 * slow answers would blur their timings), the authorization checks that create and change
 * objects, and mass assignment last, since it may change identity A.
 */
import type { ScanCheck } from '../scan-check.js'
import { AUTHENTICATION_CHECKS } from './authentication.js'
import { AUTHORIZATION_CHECKS } from './authorization.js'
import { debugEndpointExposed } from './debug-endpoint-exposed.js'
import { DEPLOYMENT_CHECKS } from './deployment.js'
import { INJECTION_CHECKS } from './injection.js'
import { excessiveDataExposure, massAssignment, sensitiveDataInResponse } from './properties.js'
import { redos } from './redos.js'
import { SSRF_AND_CONFORMANCE_CHECKS } from './ssrf-and-conformance.js'
import { userEnumeration } from './user-enumeration.js'

export const SCAN_CHECKS: readonly ScanCheck[] = [
  ...AUTHENTICATION_CHECKS,
  excessiveDataExposure,
  sensitiveDataInResponse,
  debugEndpointExposed,
  userEnumeration,
  ...SSRF_AND_CONFORMANCE_CHECKS,
  ...DEPLOYMENT_CHECKS,
  ...INJECTION_CHECKS,
  redos,
  ...AUTHORIZATION_CHECKS,
  massAssignment,
]
