/**
 * The top-level `plans` section, which the rate-limit policy declares as its own: limits by plan
 * (tier), defined once and applied wherever `rate-limit` has `plans: true`.
 */
import { formatPath, joinPath } from '../../config/format-path.js'
import type { ConfigProblem } from '../../errors.js'
import type { PolicySection } from '../../pipeline/define-policy.js'
import { limitProblems } from './compile-limits.js'
import { Plans } from './schema.js'

export const plansSection: PolicySection<typeof Plans> = {
  schema: Plans,
  check(plans) {
    const problems: ConfigProblem[] = []
    for (const [plan, { limits }] of Object.entries(plans)) {
      limits.forEach((limit, index) => {
        for (const problem of limitProblems(limit)) problems.push({ path: joinPath(formatPath([plan, 'limits', index]), problem.path), message: problem.message })
      })
    }
    return problems
  },
}
