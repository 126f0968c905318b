/** Formats a location in the config as users read it: `apis[0].routes["GET /x"].cors`. */
export function formatPath(segments: readonly (string | number)[]): string {
  let out = ''
  for (const segment of segments) {
    if (typeof segment === 'number' || /^\d+$/.test(segment)) out += `[${segment}]`
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out
}

/** Splits an ajv instancePath (`/apis/0/upstream`) into segments. */
export function splitPointer(pointer: string): string[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** Joins a prefix path and a relative one (`apis[0].policies.cors` + `origins[1]`). */
export function joinPath(prefix: string, relative: string): string {
  if (relative === '') return prefix
  if (prefix === '') return relative
  return relative.startsWith('[') ? prefix + relative : `${prefix}.${relative}`
}
