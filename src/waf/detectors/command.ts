import RE2 from 're2'

/**
 * `@detectCommandInjection`: would this value run a command if a shell read it? A command name
 * alone is not enough — `cat`, `id`, `date` and `type` are words and JSON fields, `$(` is jQuery
 * and `$id:` is a GraphQL variable. A match needs a shell separator (`;`, `|`, `&`, a newline, a
 * backtick or `$(`), a known command right after it, and shell syntax around that command: an
 * option (`-la`), a path (`/etc/passwd`, `C:\`), a variable, a redirection, another separator,
 * or the end of the value. The value is first read as a shell would see through its evasions
 * (`c\at`, `c''at`, `${IFS}`, `{cat,/etc/passwd}`, Windows' `^`). A few constructs are attacks
 * on their own wherever they stand: `/dev/tcp/`, `${IFS}`, `${PATH:0:1}`, glob-spelled binaries
 * (`/???/c?t`), Shellshock's `() { :;};`, `nc -e`, `socat … exec:`, a download piped into a shell,
 * `cmd /c`, `powershell -enc`, Perl's
 * interpolated code running a command (`@{[system "…"]}`).
 */

/** Programs an injected command starts with: probes, downloaders, shells, interpreters, Windows built-ins. */
const COMMANDS = new Set([
  'cat', 'tac', 'nl', 'head', 'tail', 'more', 'less', 'ls', 'dir', 'id', 'whoami', 'uname', 'hostname', 'pwd', 'env', 'printenv', 'set', 'ps', 'netstat',
  'ifconfig', 'ipconfig', 'ip', 'wget', 'curl', 'fetch', 'lwp-download', 'nc', 'ncat', 'netcat', 'socat', 'telnet', 'ssh', 'ftp', 'tftp', 'scp', 'rsync',
  'bash', 'sh', 'zsh', 'ksh', 'csh', 'tcsh', 'dash', 'ash', 'busybox', 'python', 'python2', 'python3', 'perl', 'ruby', 'php', 'node', 'lua', 'awk', 'gawk',
  'sed', 'xterm', 'ping', 'ping6', 'traceroute', 'nslookup', 'dig', 'host', 'sleep', 'timeout', 'usleep', 'echo', 'printf', 'rm', 'mv', 'cp', 'chmod', 'chown',
  'touch', 'mkdir', 'kill', 'killall', 'pkill', 'passwd', 'useradd', 'sudo', 'su', 'crontab', 'find', 'grep', 'xargs', 'base64', 'xxd', 'od', 'dd', 'tee',
  'nohup', 'exec', 'eval', 'sort', 'uniq', 'wc', 'cut', 'tr', 'which', 'whereis', 'who', 'w', 'last', 'type', 'systeminfo', 'tasklist', 'taskkill', 'net',
  'netsh', 'reg', 'sc', 'wmic', 'powershell', 'pwsh', 'cmd', 'certutil', 'bitsadmin', 'mshta', 'rundll32', 'regsvr32', 'cscript', 'wscript', 'nmap', 'mail',
  'sendmail', 'expr', 'uptime', 'df', 'mount', 'java', 'gcc', 'cc', 'make', 'vi', 'vim', 'nano', 'openssl', 'git', 'apt', 'yum', 'apk', 'lsof', 'time',
])

/** Commands an injection runs bare, as a probe (`;id`, `|whoami`, `%0als`): none is an English word. */
const BARE = new Set(['id', 'whoami', 'uname', 'pwd', 'ls', 'ps', 'env', 'printenv', 'ifconfig', 'ipconfig', 'netstat', 'systeminfo', 'tasklist', 'hostname', 'dir', 'bash', 'sh', 'zsh', 'ksh', 'dash', 'csh', 'uptime'])

/** Commands that are also words people write at the start of a sentence or a field (“Find …”, “Set …”): never read as a value's first word. */
const WORDS = new Set(['find', 'set', 'type', 'make', 'head', 'tail', 'time', 'more', 'less', 'last', 'host', 'sort', 'mail', 'fetch', 'touch', 'cut', 'tr', 'w', 'who', 'git', 'su', 'net', 'reg', 'sc', 'ip', 'cc', 'df', 'od', 'dd', 'wc', 'tee', 'apt', 'node', 'java', 'expr', 'mount', 'kill', 'echo', 'printf', 'exec', 'eval', 'which', 'timeout', 'uniq', 'nl', 'cp', 'mv', 'rm', 'vi'])

/** How far into a value a line break still reads as an injected one (`127.0.0.1%0acat /etc/passwd`). */
const MAX_VALUE_BEFORE_LINE = 120

/** Where a new command starts in a shell: separators, command substitution, a new line. */
const SEPARATOR = /;|\|\|?|&&?|\n|\r|`|\$\(|<\(|>\(/g

/** Right after a command, what only a shell would write: an option, a path, a variable, a redirection, an address, a quoted word closed by the end. */
const SHELL_ARGUMENT = /^[\t ]+(?:-{1,2}[a-z0-9]|\/[a-z0-9._~?*-]|~\/?|\.{1,2}\/|\$\{?[a-z_]|[<>]|\d+(?:\.\d+){3}|\d+[\t ]*(?:$|[;|&`)#])|[a-z]:\\|\\\\|%[a-z_]+%|https?:\/\/|[a-z0-9.-]+\.[a-z]{2,}[\t ]*(?:$|[;|&`)#])|['"][^'"\n]*['"][\t ]*(?:$|[;|&`)#>]))/

/** Right after a bare command, the end of what was injected: end of value, a comment, a separator, a closing quote. */
const COMMAND_END = /^[\t ]*(?:$|#|[;&`]|['"][\t ]*(?:$|#|[;&|]))/

/** After a command in backticks: its words, the closing backtick, then the end of the value or of the command. */
const BACKTICKS_CLOSE = /^(?:[\t ]+[^`\n]{0,100})?`[\t ]*(?:$|[;&|#'"\n)/])/

/** A bare probe with one word of options (`ps aux`, `ls la`) ending the value or the command. */
const BARE_WORD_END = /^[\t ]+[a-z-]{1,12}[\t ]*(?:$|[;&|#`])/

const IFS = /\$\{?IFS\b/i
/** Constructs that are shell attacks wherever they stand (RE2: its bounded gaps stay linear on values repeating `curl `). */
const ALWAYS = new RE2(/\/dev\/(?:tcp|udp)\/|\$\{[a-z_]+:\d+:\d+\}|\bsocat\b[^\n]{0,200}\bexec:|\(\)[\t ]*\{[^}]{0,30};[\t ]*\}|[;|&`\n][\t ]*net[\t ]+(?:user|localgroup|view|share|use|config)\b|\/\?\?\?\/|\b(?:nc|ncat|netcat)\b[^;|&\n]{0,80}[\t ]-[ec][\t ]|\b(?:curl|wget)\b[^;|&\n]{1,200}\|[\t ]*(?:ba|z|k|da)?sh\b|\bcmd(?:\.exe)?[\t ]+\/[ck][\t ]|\bpowershell(?:\.exe)?[\t ]+(?:-[a-z]+[\t ]+)*-(?:e|enc|encodedcommand|c|command|nop|w)\b|@\{\[[^\]\n]{0,200}\b(?:system|exec|qx)\b/)

// The lookbehind starts a quoted word only at the start of a run of letters: without it, every
// letter of a long run is a start that scans to the run's end (quadratic: 100 KB of `a` took 7 s).
/** `c\at` (`escapes`: which backslashes, quotes and carets go), `c''at`, `c""at`, `c'a't`, `w^ho^ami`, `$@`, `${IFS}` and `$IFS$9` as spaces, `{cat,/etc/passwd}` as `cat /etc/passwd`. */
function asShellReads(value: string, escapes: RegExp): string {
  return value
    .toLowerCase()
    .replace(/\$\{ifs\}|\$ifs(?:\$\d)?/g, ' ')
    .replace(escapes, '')
    .replace(/(?<![a-z])[a-z]+(?:['"][a-z/]+)+/g, (word) => word.replaceAll("'", '').replaceAll('"', ''))
    .replace(/(^|[;|&`\n(][\t ]*)\{([a-z0-9_./-]+),/g, '$1$2 ')
}

const COMMAND_AT = /^[\t (]*(?:(?:\/usr)?\/s?bin\/|[a-z]:\\(?:windows\\(?:system32\\)?)?)?([a-z][a-z0-9_-]*)(?:\.exe)?/

/** The command that starts at `from` (after blanks and a directory like `/usr/bin/`), or null. */
function commandAt(text: string, from: number): { name: string; end: number } | null {
  const found = COMMAND_AT.exec(text.slice(from, from + 80))
  const name = found?.[1]
  if (found === null || name === undefined || !COMMANDS.has(name)) return null
  return { name, end: from + found[0].length }
}

/** Whether the command after `separator` is followed by shell syntax (`bare`: or ends there, as a probe does). */
function injectedAfter(text: string, separator: string, command: { name: string; end: number }, depth = 0, bare = true): boolean {
  const rest = text.slice(command.end, command.end + 200)
  // `` `sleep 5` ``, `` x`id` ``: the backticks close and the value or command ends there (markdown's code spans run on into prose).
  if (separator === '`') return BACKTICKS_CLOSE.test(rest)
  if (SHELL_ARGUMENT.test(rest)) return true
  // `$(whoami)`, `$(echo pwned)`: the substitution closes after the command and its words.
  if (separator.endsWith('(') && /^(?:[\t ]+[^()\n]{0,100})?\)/.test(rest)) return true
  // `nohup sh -c whoami`, `sudo cat /etc/shadow`: a command that runs the next one.
  if (depth === 0 && /^[\t ]+[a-z/]/.test(rest)) {
    const next = commandAt(text, command.end)
    if (next !== null && injectedAfter(text, separator, next, 1)) return true
  }
  // `;id`, `| ps aux`: a probe needs no option.
  return bare && BARE.has(command.name) && (COMMAND_END.test(rest) || BARE_WORD_END.test(rest))
}

/** Backslashes a shell drops in the reading that keeps Windows paths (`c:\\.\\x`, `\\\\.\\pipe`) as written. */
const UNIX_ESCAPES = /\\(?=[a-z0-9/])|''|""|\^(?=[a-z])|\$@/g
/** The reading of a value escaped throughout (`h\\t\\t\\p\\:\\/\\/`): a shell drops a backslash before any plain character. */
const ALL_ESCAPES = /\\(?=[a-z0-9/:.~_-])|''|""|\^(?=[a-z])|\$@/g

export function detectCommandInjection(value: string): boolean {
  if (value.length < 2) return false
  const text = asShellReads(value, UNIX_ESCAPES)
  if (injectedIn(text, value)) return true
  if (!/\\[:.~_-]/.test(value)) return false
  return injectedIn(asShellReads(value, ALL_ESCAPES), value)
}

/** `text`: `value` as a shell reads it. */
function injectedIn(text: string, value: string): boolean {
  if (ALWAYS.test(text) || IFS.test(value)) return true
  // A value that is a command line (`cat /etc/passwd`, `ping -c 10 10.0.0.1`), written in lower case, with an option or a path.
  const first = commandAt(text, 0)
  if (first !== null && !WORDS.has(first.name) && /^[^a-zA-Z]*[a-z]/.test(value) && injectedAfter(text, '', first, 0, false)) return true
  const fenced = text.includes('```')
  SEPARATOR.lastIndex = 0
  let count = 0
  let backticks = 0
  for (let found = SEPARATOR.exec(text); found !== null && count < 200; found = SEPARATOR.exec(text), count++) {
    const separator = found[0]
    const at = found.index
    // Of markdown's code spans (“the `id` field”), a closing backtick starts nothing and an opening one after a blank is no substitution.
    if (separator === '`' && ((backticks++ & 1) === 1 || (at > 0 && /[\s([]/.test(text.charAt(at - 1))))) continue
    // Lines of prose and of markdown code blocks start with commands (“```\ncurl https://…”); an injected line follows a short value.
    if ((separator === '\n' || separator === '\r') && (at > MAX_VALUE_BEFORE_LINE || fenced)) continue
    const command = commandAt(text, at + separator.length)
    if (command !== null && injectedAfter(text, separator, command)) return true
  }
  return false
}
