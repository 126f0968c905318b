/**
 * `@detectSQLi`: does this value change the structure of a SQL statement it is pasted into?
 * The value is tokenized three times — as is, as if it continued a single-quoted string, and a
 * double-quoted one — and each fingerprint (see sql-tokens.ts) is held to rules that describe
 * injections rather than prose: a closed string followed by logic, an operator, a comment, a
 * statement separator or UNION; a number followed by a boolean clause; UNION before a statement;
 * stacked statements; calls to the functions attacks use to probe or delay. Returns the
 * fingerprint that matched (CRS logs it as TX.0), or null.
 */
import { sqlTokens, type SqlToken } from './sql-tokens.js'

/** Functions whose call in a value is an attack signature on its own (timing, file access, error-based extraction). */
const ATTACK_FUNCTIONS = new Set([
  'sleep', 'benchmark', 'pg_sleep', 'load_file', 'extractvalue', 'updatexml', 'dbms_pipe.receive_message', 'utl_inaddr.get_host_address', 'xp_cmdshell',
  'sys_eval', 'sys_exec', 'randomblob', 'generate_series', 'json_keys', 'exp', 'gtid_subset', 'name_const', 'polygon', 'multipoint', 'geometrycollection',
])

/** Fingerprint shapes of injections; `^` is where the value starts (after the quote in quote contexts). */
const AS_IS: readonly RegExp[] = [
  /^[1snv)]*U(?:E|\(|k(?:E|\()|[1sn],)/, // `1 UNION SELECT`, `1 UNION ALL SELECT`, UNION(SELECT…), near the start as an injection is
  /^[1sn)]*;(?:E|k)/, // stacked statement: `1; DROP …`
  /^1\)*&\(*(?:[1snv]o|[1sv]\)|f\(|[1v]$|[1snv]&)/, // `1 OR 1=1`, `1) AND (1=1`, `1 and true`
  /^1\)*o(?:[1sv]&|f\()/, // `1=1 or …`, `1+sleep(5)`
  /^1\)*(?:U|&E|&f\()/, // `1 union`, `1 and select`, `1 and sleep(`
  /^E(?:[on1v*,]|f\()+k(?:[nv(1])/, // SELECT x FROM y, SELECT * FROM t
  /^[&o]?f\(/, // attack function calls are checked by name below
  /^\(+E/, // a value that is a parenthesised statement: `(SELECT (CASE WHEN …))`
]

const QUOTED: readonly RegExp[] = [
  /^s\)*(?:&|o)\(*(?:[s1nvkf(]|E)/, // `' OR '1'='1`, `') or ('a'='a`, `'||'`, `' and sleep(`
  /^s\)*(?:;|c|U)/, // `'; DROP`, `admin'--`, `' UNION SELECT`
  /^s\)*k(?:[1nv]|k)/, // `' ORDER BY 1`, `' GROUP BY x`
]

/** A probing or delaying function called right after a value, an operator or a closed string (`'+sleep(20)+'`). */
function callsAttackFunction(tokens: readonly SqlToken[]): boolean {
  return tokens.some((t, i) => t.type === 'f' && ATTACK_FUNCTIONS.has(t.text.toLowerCase()) && i > 0 && '&o1s'.includes(tokens[i - 1]?.type ?? ''))
}

export function detectSqlInjection(value: string): string[] | null {
  if (value.length < 2) return null
  const asIs = sqlTokens(value)
  const raw = asIs.map((t) => t.type).join('')
  // Values, names and keywords alone (most benign values) fit no shape below: only the quote contexts remain.
  if (PLAIN.test(raw)) return quotedInjection(value)
  // A comment right before a value and UNION is obfuscation (`/*/*/2 union`), wherever it starts.
  if (/c[1snv)]*U/.test(raw)) return [raw]
  // Folded as attacks fold them away: comments between tokens (`union/**/select`), a sign before a number.
  const fingerprint = raw.replace(/c(?=.)/g, '')
    .replace(/^o1/, '1')
  if (AS_IS.some((shape) => shape.test(fingerprint))) {
    if (fingerprint.startsWith('f(') || fingerprint.startsWith('&f(') || fingerprint.startsWith('of(')) {
      const call = asIs.find((t) => t.type === 'f')
      if (call !== undefined && ATTACK_FUNCTIONS.has(call.text.toLowerCase())) return [fingerprint]
    } else return [fingerprint]
  }
  if (callsAttackFunction(asIs)) return [fingerprint]
  return quotedInjection(value)
}

/** Tokens no shape of AS_IS starts from or needs: values, names, keywords. */
const PLAIN = /^[1snvk]*$/

/** The value as the rest of a single- or double-quoted string it was pasted into. */
function quotedInjection(value: string): string[] | null {
  for (const quote of ["'", '"']) {
    if (!value.includes(quote)) continue
    const quoted = sqlTokens(quote + value)
    const print = quoted.map((t) => t.type).join('')
    if (QUOTED.some((shape) => shape.test(print)) || callsAttackFunction(quoted)) return [print]
  }
  return null
}
