/** Kinds of operation the toolkit's rules and checks treat specially, recognised by path and operationId. */

const ADMIN_SEGMENT = /^(admin|admins|administration|internal|manage|management|superuser|sudo|root|ops|backoffice)$/i
const LOGIN_LIKE = /(^|[\s/_.-])(login|log-in|signin|sign-in|logon|token|oauth|auth|authenticate|session|sessions|password|passwords|reset|forgot|otp|mfa|2fa|verify|register|signup|sign-up)($|[\s/_.{-])/i

/** An administrative-looking path: a segment such as `admin`, `internal` or `management`. */
export function isAdminPath(pathTemplate: string): boolean {
  return pathTemplate.split('/').some((segment) => ADMIN_SEGMENT.test(segment))
}

/** A login, token, password-reset, OTP or sign-up operation, by a segment of its path or operationId. */
export function isLoginLike(pathTemplate: string, operationId: unknown): boolean {
  return LOGIN_LIKE.test(`${pathTemplate} ${typeof operationId === 'string' ? operationId : ''}`)
}
