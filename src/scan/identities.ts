/**
 * Identities the scanner acts as: `NAME=Header-Name: value` (any header) or `NAME=TOKEN`
 * (sent as `Authorization: Bearer TOKEN`). The first is A, the second B: B is the one that must
 * not reach A's objects nor, when A is an administrator, the administrative operations.
 */
export interface Identity {
  readonly name: string
  readonly headers: Readonly<Record<string, string>>
  /** The bearer token when there is one (JWT checks mutate it). */
  readonly token: string | undefined
  /** Values to mask wherever they would be shown. */
  readonly secrets: readonly string[]
}

export function parseIdentity(text: string): Identity {
  const equals = text.indexOf('=')
  const name = text.slice(0, equals)
  const credential = text.slice(equals + 1)
  if (equals <= 0 || !/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(name) || credential === '') throw new Error(`--identity: expected NAME=TOKEN or NAME='Header: value' (got "${text.slice(0, 20)}…")`)
  const header = /^([A-Za-z0-9-]+):\s*(.+)$/.exec(credential)
  if (header?.[1] !== undefined && header[2] !== undefined) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(header[2])
    // The token before the whole value: evidence then shows `Bearer $VARIABLE` with the token in the variable.
    return { name, headers: { [header[1]]: header[2] }, token: bearer?.[1], secrets: [...(bearer?.[1] ? [bearer[1]] : []), header[2]] }
  }
  return { name, headers: { authorization: `Bearer ${credential}` }, token: credential, secrets: [credential] }
}
