/** The built-in policies, in one list the config schema and the chain builder read. */
import type { PolicyDefinition } from '../pipeline/define-policy.js'
import { auth } from './auth/index.js'
import { authz } from './authz/index.js'
import { cors } from './cors/index.js'
import { inventory } from './inventory/index.js'
import { detection } from './detection/index.js'
import { ipFilter } from './ip-filter/index.js'
import { masking } from './masking/index.js'
import { openapiValidation } from './openapi-validation/index.js'
import { rateLimit } from './rate-limit/index.js'
import { requestLimits } from './request-limits/index.js'
import { securityHeaders } from './security-headers/index.js'
import { waf } from './waf/index.js'

export const builtinPolicies: readonly PolicyDefinition[] = [requestLimits, ipFilter, cors, auth, authz, rateLimit, openapiValidation, waf, masking, securityHeaders, inventory, detection]
