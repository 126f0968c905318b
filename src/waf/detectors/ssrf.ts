/**
 * `@detectSSRF`: does this value point a server-side fetch at somewhere only the server can
 * reach? Each URL in the value is parsed as node's WHATWG URL parser (what an upstream written in
 * Node or a browser-compatible client fetches: decimal, hex, octal and short IPv4 forms normalised,
 * userinfo dropped, IDNA applied) and its host judged: cloud metadata services, loopback, private,
 * link-local and unique-local ranges (ipaddr.js), internal names (`localhost`, `*.internal`,
 * cluster DNS, wildcard DNS services resolving to such addresses), and an address spelled in a
 * numeric form nobody writes by hand. Schemes that fetch files or talk raw protocols (`file:`,
 * `gopher:`, `dict:`…) are SSRF wherever they point. The metadata addresses are matched without
 * a scheme too. An internal host in a URL written inside prose (after a blank) is someone's own
 * machine in a support ticket, not a fetch: only the other signs count there. Returns the host
 * (or scheme) that matched, or null.
 */
import ipaddr from 'ipaddr.js'

/** Schemes a URL-fetching server should never be handed. */
const RAW_SCHEMES = new Set(['file', 'gopher', 'dict', 'tftp', 'jar', 'netdoc', 'sftp', 'smb', 'telnet'])
/** Schemes whose host is worth judging. */
const FETCH_SCHEMES = new Set(['http', 'https', 'ftp', 'ftps', 'ws', 'wss', 'ldap', 'ldaps', 'ssh', 'redis', 'mysql', 'postgres', 'mongodb', 'memcached'])

/** ipaddr.js ranges that only the server's own network reaches. */
const INTERNAL_RANGES = new Set(['loopback', 'private', 'linkLocal', 'unspecified', 'uniqueLocal', 'carrierGradeNat', 'broadcast'])

/** Cloud metadata services (AWS, GCP, Azure, Alibaba, Oracle, ECS, AWS IPv6), as written in values with or without a scheme. */
const METADATA = /169\.254\.169\.254|169\.254\.170\.2\b|metadata\.google\.internal|fd00:ec2::254|100\.100\.100\.200|metadata\.azure\.internal|\binstance-data\b/i

/** Host names that resolve inside the server's network, or to loopback through a public wildcard DNS service. */
const INTERNAL_NAME = /^(?:localhost|metadata|kubernetes|kubernetes\.default(?:\.svc)?)$|\.(?:localhost|internal|svc|local|localdomain|consul|lan|intranet|corp|home\.arpa)$|(?:^|\.)(?:localtest\.me|lvh\.me|vcap\.me)$/
/** Loopback names: where a developer's own client runs (`Origin: http://localhost:3000`). */
const LOOPBACK_NAME = /^(?:localhost|.*\.localhost)$|(?:^|\.)(?:localtest\.me|lvh\.me|vcap\.me)$/
/** `jar:http://…!/`: Java's archive scheme around another URL. */
const WRAPPED_URL = /\bjar:[a-z]+:|\bnetdoc:/i

/** `<scheme>://<rest>`: the candidates for a URL in a value. */
const URL_START = /([a-z][a-z0-9+.-]{0,15}):\/\/([^\s"'<>`{}|^]{0,400})/gi
const MAX_URLS = 20

/** Whether `host` is an address in an internal range; `origin`: loopback is where the client runs, not internal. */
function internalAddress(host: string, origin: boolean): boolean {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host
  if (!ipaddr.isValid(bare)) return false
  let address = ipaddr.parse(bare)
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) address = (address as ipaddr.IPv6).toIPv4Address()
  const range = address.range()
  return INTERNAL_RANGES.has(range) && !(origin && range === 'loopback')
}

/** `127.0.0.1.nip.io`, `10-0-0-1.sslip.io`: a public name for the address it spells. */
function wildcardDnsAddress(host: string): string | null {
  const found = /^(?:.*?[.-])?(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})\.(?:nip\.io|sslip\.io|xip\.io|nip\.direct)$/.exec(host)
  return found === null ? null : found.slice(1, 5).join('.')
}

/** The authority as written (before normalisation), to tell an address spelled oddly (`0x7f.1`, `2130706433`, `0177.0.0.1`). */
function writtenHost(rest: string): string {
  const authority = rest.split(/[/?#\\]/, 1)[0] ?? ''
  const host = authority.slice(authority.lastIndexOf('@') + 1)
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '')
}

/**
 * `inProse`: the URL follows a blank, as in a sentence (“open http://localhost:3000 and…”), where
 * people write their own machine's address; a URL-valued field, a query, a path holds it alone.
 */
function judgeUrl(scheme: string, rest: string, inProse: boolean, origin: boolean): string | null {
  if (RAW_SCHEMES.has(scheme)) return `${scheme}:`
  if (!FETCH_SCHEMES.has(scheme)) return null
  let host: string
  try {
    host = new URL(`${scheme}://${rest}`).hostname.toLowerCase()
  } catch {
    return null
  }
  if (host === '') return null
  // Browsers leave user names out of Origin and Referer: one written there is no developer's own page.
  const local = origin && !(rest.split(/[/?#\\]/, 1)[0] ?? '').includes('@')
  if (!inProse && ((INTERNAL_NAME.test(host) && !(local && LOOPBACK_NAME.test(host))) || internalAddress(host, local))) return host
  const spelled = wildcardDnsAddress(host)
  if (!inProse && spelled !== null && internalAddress(spelled, local)) return host
  // The parser turned something that is not a dotted quad into an address: an evasion.
  const written = writtenHost(rest).toLowerCase()
  if (ipaddr.IPv4.isValid(host) && written !== host && /^[0-9a-fx.]+$/.test(written)) return host
  return null
}

/**
 * `origin`: the value says where the client is (Origin, Referer), so a loopback host is a
 * developer's own machine, not a target.
 */
export function detectSsrf(value: string, origin = false): string | null {
  if (value.length < 7) return null
  const metadata = METADATA.exec(value) ?? WRAPPED_URL.exec(value)
  if (metadata !== null) return metadata[0]
  if (!value.includes('://')) return null
  // Values are bytes (latin1): a host in another script is read as the UTF-8 it was sent as.
  const text = /[\x80-\xff]/.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value
  URL_START.lastIndex = 0
  let count = 0
  for (let found = URL_START.exec(text); found !== null && count < MAX_URLS; found = URL_START.exec(text), count++) {
    const judged = judgeUrl((found[1] ?? '').toLowerCase(), found[2] ?? '', found.index > 0 && /\s/.test(text.charAt(found.index - 1)), origin)
    if (judged !== null) return judged
  }
  return null
}
