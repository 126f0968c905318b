/**
 * `@detectCommandInjection`: would this value run a command if a shell read it? A command name
 * alone is not enough — `cat`, `id`, `date` and `type` are words and JSON fields, `$(` is jQuery
 * and `$id:` is a GraphQL variable. A match needs a shell separator (`;`, `|`, `&`, a newline, a
 * backtick or `$(`), a known command right after it, and shell syntax around that command: an
 * option (`-la`), a path (`/etc/passwd`, `C:\`), a variable, a redirection, another separator,
 * or the end of the value. The value is first read as a shell would see through its evasions
 * (`c\at`, `c''at`, `${IFS}`, `{cat,/etc/passwd}`, Windows' `^`). A few constructs are attacks
 * on their own wherever they stand: `/dev/tcp/`, `${IFS}`, glob-spelled binaries (`/???/c?t`),
 * a shell started with `-c` or `-i`, a download piped into a shell.
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

/** Constructs that are shell attacks wherever they stand. */
const ALWAYS = /\/dev\/(?:tcp|udp)\/|[;|&`][\t ]*net[\t ]+(?:user|localgroup|view|share|use|config)\b|\$\{?ifs\b|\/\?\?\?\/|\b(?:nc|ncat|netcat)\b[^;|&\n]{0,80}[\t ]-[ec][\t ]|\b(?:curl|wget)\b[^;|&\n]{1,200}\|[\t ]*(?:ba|z|k|da)?sh\b|\bcmd(?:\.exe)?[\t ]+\/[ck][\t ]|\bpowershell(?:\.exe)?[\t ]+(?:-[a-z]+[\t ]+)*-(?:e|enc|encodedcommand|c|command|nop|w)\b/

/** `c\at`, `c''at`, `c""at`, `w^ho^ami`, `$@`, `${IFS}` and `$IFS$9` as spaces, `{cat,/etc/passwd}` as `cat /etc/passwd`. */
function asShellReads(value: string): string {
  return value
    .toLowerCase()
    .replace(/\$\{ifs\}|\$ifs(?:\$\d)?/g, ' ')
    .replace(/\\(?=[a-z/])|''|""|\^(?=[a-z])|\$@/g, '')
    .replace(/\{([a-z0-9_./-]+),/g, '$1 ')
}

const COMMAND_AT = /^[\t (]*(?:(?:\/usr)?\/s?bin\/|[a-z]:\\(?:windows\\(?:system32\\)?)?)?([a-z][a-z0-9_-]*)(?:\.exe)?/

/** The command that starts at `from` (after blanks and a directory like `/usr/bin/`), or null. */
function commandAt(text: string, from: number): { name: string; end: number } | null {
  const found = COMMAND_AT.exec(text.slice(from, from + 80))
  const name = found?.[1]
  if (found === null || name === undefined || !COMMANDS.has(name)) return null
  return { name, end: from + found[0].length }
}

/** Whether the command after `separator` is followed by shell syntax. */
function injectedAfter(text: string, separator: string, command: { name: string; end: number }): boolean {
  const rest = text.slice(command.end, command.end + 200)
  if (SHELL_ARGUMENT.test(rest)) return true
  // `$(whoami)`, `` `sleep` ``: the substitution closes right after the command.
  if ((separator === '`' && /^[\t ]*`/.test(rest)) || (separator.endsWith('(') && /^[\t ]*\)/.test(rest))) return true
  return BARE.has(command.name) && COMMAND_END.test(rest)
}

export function detectCommandInjection(value: string): boolean {
  if (value.length < 2) return false
  const text = asShellReads(value)
  if (ALWAYS.test(text)) return true
  // A value that is a command line (`cat /etc/passwd`, `ping -c 10 10.0.0.1`), written in lower case, with an option or a path.
  const first = commandAt(text, 0)
  if (first !== null && !WORDS.has(first.name) && /^[^a-zA-Z]*[a-z]/.test(value) && SHELL_ARGUMENT.test(text.slice(first.end, first.end + 200))) return true
  const fenced = text.includes('```')
  SEPARATOR.lastIndex = 0
  let count = 0
  for (let found = SEPARATOR.exec(text); found !== null && count < 200; found = SEPARATOR.exec(text), count++) {
    const separator = found[0]
    const at = found.index
    // A backtick after a blank opens a markdown code span (“the `id` field”), not a substitution.
    if (separator === '`' && at > 0 && /[\s([]/.test(text.charAt(at - 1))) continue
    // Lines of prose and of markdown code blocks start with commands (“```\ncurl https://…”); an injected line follows a short value.
    if ((separator === '\n' || separator === '\r') && (at > MAX_VALUE_BEFORE_LINE || fenced)) continue
    const command = commandAt(text, at + separator.length)
    if (command !== null && injectedAfter(text, separator, command)) return true
  }
  return false
}
