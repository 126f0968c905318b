/**
 * The request media types a CRS rule set lets through (`allowedContentTypes`), as its rule 920420
 * reads them: `tx.allowed_request_content_type`, a list of `|type|` entries compared with the
 * request's type without parameters. An entry `type/*+suffix` stands for a whole structured-syntax
 * family (RFC 6838 §4.2.8): `application/*+json` admits `application/vnd.api+json`,
 * `application/scim+json`, `application/json-patch+json`, `application/ld+json`,
 * `application/vnd.github.v3+json; version=2` — vendor JSON types APIs use, which the engine parses
 * as JSON (src/waf/request-body.ts) — without each being listed. CRS has no wildcard, so a family
 * becomes a rule run before 920420 (in CRS 4 and 3 alike) that adds the request's own type to the
 * list when it belongs to the family.
 */

/** RFC 6838 §4.2 restricted-name characters. */
const NAME = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*'
/** An exact `type/subtype`, or a family `type/*+suffix`; nothing that could break out of the SecLang string. */
export const MEDIA_TYPE_ENTRY = new RegExp(`^${NAME}/(?:\\*\\+)?${NAME}$`)
const FAMILY = new RegExp(`^(${NAME})/\\*\\+(${NAME})$`)

/** First id of the rules this module writes (the gateway's own settings rules are 9000900–9000999). */
const FIRST_RULE_ID = 9000910

/** `tx.allowed_request_content_type`'s value: the exact types, `|`-delimited and lower-case as 920420 compares them. */
export function allowedContentTypeList(entries: readonly string[]): string {
  return entries
    .filter((entry) => !FAMILY.test(entry))
    .map((entry) => `|${entry.toLowerCase()}|`)
    .join(' ')
}

/**
 * One SecLang rule per family entry: when the request's Content-Type (up to `;` or white space,
 * as 920420 captures it) is `type/<name>+suffix`, that type joins `tx.allowed_request_content_type`
 * for this request. Phase 1, so it must load after the setting of the list and before the CRS rules.
 */
export function contentTypeFamilyRules(entries: readonly string[]): string {
  const families = new Map<string, [type: string, suffix: string]>()
  for (const entry of entries) {
    const match = FAMILY.exec(entry.toLowerCase())
    if (match !== null) families.set(match[0], [match[1] as string, match[2] as string])
  }
  return [...families.values()]
    .map(([type, suffix], i) => {
      const pattern = `^(${escapeRegex(type)}/${NAME}\\+${escapeRegex(suffix)})(?:[;\\s]|$)`
      return (
        `SecRule REQUEST_HEADERS:Content-Type "@rx ${pattern}" ` +
        `"id:${FIRST_RULE_ID + i},phase:1,pass,nolog,t:none,t:lowercase,capture,` +
        `setvar:'tx.allowed_request_content_type=%{tx.allowed_request_content_type} |%{tx.1}|'"`
      )
    })
    .join('\n')
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
