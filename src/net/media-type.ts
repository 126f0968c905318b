/** Media types as `Content-Type` carries them: the type without parameters, and whether it is JSON. */

/** `Application/JSON; charset=utf-8` → `application/json`; empty when absent. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

/** `application/json` and the `application/…+json` family (`application/*+json` in a declaration too). */
export function isJsonMediaType(mediaType: string): boolean {
  const type = mediaType.toLowerCase()
  return type === 'application/json' || /^application\/[^;]*\+json$/.test(type)
}
