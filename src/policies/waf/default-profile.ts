/**
 * The built-in rule profile, for when no rule set is configured: our own SecLang rules around the
 * native detectors, run by the same engine. Each rule blocks on its own (no anomaly scoring):
 * every one of them is a strong signal, written for API traffic — JSON, GraphQL, OData and
 * prose in any script are data, not SQL or shell. Every class is looked for in every place an
 * API takes input: arguments and their names (query, form, JSON keys, multipart parts), cookies
 * and their names, uploaded file names, XML, request headers other than the protocol's own, and
 * the path. Ids 9_000_001–9_000_099 are ours.
 */

/** Arguments, their names, cookies, uploaded file names and XML: where most injections sit. */
const VALUES = 'ARGS|ARGS_NAMES|REQUEST_COOKIES|REQUEST_COOKIES_NAMES|FILES|FILES_NAMES|XML:/*|XML://@*'
/**
 * Header values, except those the HTTP stack itself parses and clients fill in (content
 * negotiation but the language, caching, fetch metadata, lengths): an attack there is refused by
 * the protocol, and their syntax (`gzip;q=0.9`, `"Chromium";v="118"`) reads as injection to the
 * detectors. Cookie is read as REQUEST_COOKIES.
 */
const HEADERS = 'REQUEST_HEADERS|!REQUEST_HEADERS:Cookie|!REQUEST_HEADERS:/^(?:accept|accept-(?:encoding|charset|ranges)|sec-[a-z0-9-]+|content-length|content-type|connection|keep-alive|host|if-[a-z-]+|cache-control|pragma|priority|te|upgrade|upgrade-insecure-requests|dnt|expect)$/'
/** Headers that name where the client is (a developer's `http://localhost:3000`), not a URL the server fetches. */
const CLIENT_LOCATION = 'REQUEST_HEADERS:/^(?:origin|referer)$/'
/** Arguments whose names say they hold a shell command (CI jobs' `script`, containers' `command`): running it is what the API is for. */
const SHELL_FIELDS = 'ARGS:/(?:^|[._\\[])(?:script|scripts|before_script|after_script|command|commands|cmd|commandline|command_line|shell|entrypoint|run)\\]?(?:\\.\\d+)?$/'
/** Everywhere: values, headers, the decoded path. */
const EVERYWHERE = `${VALUES}|${HEADERS}|REQUEST_FILENAME`

/** One URL decoding more than the engine's own (double-encoded payloads), NULs removed. Multi-byte text stays as sent. */
const DECODE = 't:none,t:urlDecodeUni,t:removeNulls'

/** NoSQL query operators (MongoDB's) that change what a query matches or run code. */
const NOSQL_OPERATORS = 'ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|expr|or|and|not|nor|elemmatch|all|size|function|accumulator|jsonschema|lookup|unionwith|graphlookup'

/** Names of response headers an injected CRLF sets (`Location` only with a URL after it: prose writes “Location: Paris”). */
const INJECTED_HEADER = '(?:set-cookie|content-(?:type|length|security-policy|disposition|encoding)|x-xss-protection|x-frame-options|x-content-type-options|transfer-encoding|access-control-allow-[a-z-]+|x-forwarded-[a-z-]+|www-authenticate|cache-control|strict-transport-security|[a-z-]*(?:inject|crlf)[a-z-]*)[\\t ]*:|location[\\t ]*:[\\t ]*(?:[a-z]+:|/)|refresh[\\t ]*:[\\t ]*\\d|link[\\t ]*:[\\t ]*<|http/[12](?:\\.[01])?[\\t ]+\\d{3}'

/** `.` and `/` as written, percent-encoded once more, or in overlong UTF-8 (lower-cased: `À` is read as `à`). */
/** A log line forged after an injected line break: a level tag, logfmt, an access-log line. */
const FORGED_LOG_LINE = '\\[(?:info|warn|warning|error|debug|notice|critical|fatal|trace)\\]|level=(?:info|warn|warning|error|debug)\\b|\\d{1,3}(?:\\.\\d{1,3}){3} - \\S+ \\['

const DOT = '(?:\\.|%2e|\\x{e0}\\x{ae}|\\x{e0}\\x{80}\\x{ae})'
const SLASH = '(?:[\\\\/]|%2f|%5c|\\x{e0}\\x{af}|\\x{e1}\\x{9c}|\\x{e0}\\x{80}\\x{af})'

export const DEFAULT_PROFILE = `
SecDefaultAction "phase:1,log,pass"
SecDefaultAction "phase:2,log,pass"

SecRule ${VALUES}|${HEADERS} "@detectSQLi" \\
  "id:9000001,phase:2,deny,status:403,capture,${DECODE},msg:'SQL injection',logdata:'fingerprint %{TX.0}',tag:'attack-sqli',severity:'CRITICAL'"

SecRule REQUEST_FILENAME "@detectSQLiInPath" \\
  "id:9000007,phase:2,deny,status:403,capture,${DECODE},msg:'SQL injection in the path',logdata:'fingerprint %{TX.0}',tag:'attack-sqli',severity:'CRITICAL'"

SecRule ${EVERYWHERE} "@detectXSS" \\
  "id:9000002,phase:2,deny,status:403,${DECODE},t:htmlEntityDecode,t:jsDecode,t:cssDecode,msg:'Cross-site scripting',tag:'attack-xss',severity:'CRITICAL'"

SecRule ${EVERYWHERE} "@rx <[\\t ]*script\\b|&lt;?[\\t ]*script\\b|<[a-z][a-z0-9]*(?:[\\s/][^>]{0,200}?)?[\\s/\\x22'\\x60;]on[a-z]{3,}[\\t ]*=|(?:^|[\\s\\x22'\\x60/;])on[a-z]{3,}[\\t ]*=[\\t ]*[\\x22'\\x60]?[\\t ]*(?:alert|prompt|confirm|eval|import|fetch|print[\\t ]*\\(|document\\.|window[.\\[]|top\\[|self\\[|location|new[\\t ]+image)|\\bdata:[\\t ]*text/html|[\\x22'\\x60;)}\\]][\\t ]*[-+*/%;,|&=]*[\\t ]*(?:alert|prompt|confirm|eval)[\\t ]*[(\\x60]|(?:java|vb|live)script[\\t ]*:[\\t ]*[\\w$.\\[\\]'\\x22]{1,60}[(\\x60]" \\
  "id:9000008,phase:2,deny,status:403,${DECODE},t:htmlEntityDecode,t:jsDecode,t:lowercase,msg:'Cross-site scripting: script call after a closed string',tag:'attack-xss',tag:'confidence/high',severity:'CRITICAL'"

SecRule REQUEST_URI_RAW|REQUEST_BODY|${VALUES}|${HEADERS} "@rx ${DOT}{2,4}(?:;[^\\\\/]*)?${SLASH}+${DOT}{2,4}(?:;[^\\\\/]*)?${SLASH}" \\
  "id:9000003,phase:2,deny,status:403,t:none,t:urlDecodeUni,t:urlDecodeUni,t:removeNulls,t:lowercase,msg:'Path traversal',tag:'attack-lfi',tag:'confidence/high',severity:'CRITICAL'"

SecRule ${EVERYWHERE} "@rx (?:^|[\\\\/\\s=:'\\x22(]|file:|\\x{e0}\\x{af}|\\x{e1}\\x{9c})(?:etc[\\\\/]+(?:passwd|shadow|gshadow|sudoers|master\\.passwd)|proc[\\\\/]+(?:self|\\d+)[\\\\/]+(?:environ|cmdline|fd|maps|status|mounts|cwd|exe|root)|(?:windows|winnt)[\\\\/]+(?:win\\.ini|system\\.ini|system32[\\\\/]|repair[\\\\/])|boot\\.ini|inetpub[\\\\/]|web-inf[\\\\/]+(?:web\\.xml|classes|lib)|\\.htpasswd|\\.bash_history|id_(?:rsa|dsa|ecdsa|ed25519)\\b|\\.aws[\\\\/]+credentials|wp-config\\.php|\\.git[\\\\/]+(?:config|head|index)\\b)|[\\\\/]\\.env(?:$|[\\s?#.])|^\\S*(?:^|[\\\\/=:])etc[\\\\/]+(?:group|hosts|issue|issue\\.net|hostname|crontab|fstab|motd|services|os-release|resolv\\.conf|my\\.cnf|environment|(?:httpd|apache2?|nginx|mysql|ssh|security)[\\\\/])\\S*$|^\\S*var[\\\\/]+log[\\\\/]+(?:apache2?|httpd|nginx)[\\\\/]+(?:access|error)" \\
  "id:9000009,phase:2,deny,status:403,t:none,t:urlDecodeUni,t:urlDecodeUni,t:removeNulls,t:lowercase,msg:'Local file inclusion: a system file',tag:'attack-lfi',tag:'confidence/high',severity:'CRITICAL'"

SecRule ${VALUES}|${HEADERS}|!${SHELL_FIELDS} "@detectCommandInjection" \\
  "id:9000004,phase:2,deny,status:403,${DECODE},msg:'OS command injection',tag:'attack-rce',tag:'confidence/high',severity:'CRITICAL'"

SecRule REQUEST_FILENAME "@detectCommandInjectionInPath" \\
  "id:9000020,phase:2,deny,status:403,${DECODE},msg:'OS command injection in the path',tag:'attack-rce',severity:'CRITICAL'"

SecRule ${VALUES}|${HEADERS}|REQUEST_URI_RAW|REQUEST_BODY "@rx \\$\\{[^\\n]{0,200}?(?:jndi|\\$\\{(?:lower|upper|env|sys|date|main|ctx|base64|::-)[^}]{0,40}\\}|\\$\\{[a-z0-9]{1,12}:[^}]{0,60}:-)" \\
  "id:9000005,phase:2,deny,status:403,t:none,t:urlDecodeUni,t:urlDecodeUni,t:lowercase,msg:'JNDI lookup',tag:'attack-java',tag:'confidence/high',severity:'CRITICAL'"

SecRule ${EVERYWHERE} "@rx java\\.lang\\.(?:runtime|processbuilder|classloader|reflect|thread\\b)|getruntime\\s*\\(\\s*\\)|\\bnew\\s+processbuilder|javax\\.(?:script|naming|management)\\.|scriptenginemanager|(?:^|[^\\w.])class\\.(?:module\\.classloader|classloader|protectiondomain)|#_memberaccess|@ognl\\.|ognlcontext|#context\\[|%\\{\\s*\\(?\\s*#|com\\.sun\\.(?:rowset|jndi|org\\.apache)|org\\.apache\\.(?:commons\\.collections|xalan|xbean|tomcat\\.dbcp|ibatis|log4j\\.core\\.lookup)|sun\\.misc\\.|org\\.springframework\\.(?:context\\.support|beans\\.factory\\.config)|[\\x22']@type[\\x22']\\s*:\\s*[\\x22'](?:com|org|java|javax|sun|ch)\\.|<java\\b[^>]*\\bversion\\s*=|<object\\s+class\\s*=\\s*[\\x22']java|(?:^|[^a-z0-9+])ro0ab|aced0005" \\
  "id:9000010,phase:2,deny,status:403,${DECODE},t:lowercase,msg:'Java injection: runtime, reflection, OGNL, deserialization gadget',tag:'attack-java',tag:'confidence/high',severity:'CRITICAL'"

SecRule ${EVERYWHERE} "@rx <\\?(?:php\\b|=|\\s)|\\$_(?:get|post|request|cookie|server|env|files|session)\\b|\\$globals\\b|\\b(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|eval|assert|create_function|call_user_func(?:_array)?|base64_decode|str_rot13|gzinflate|gzuncompress|file_get_contents|file_put_contents|readfile|highlight_file|show_source|phpinfo|unserialize|print_r|var_dump|preg_replace|fwrite|fputs|move_uploaded_file|curl_exec|ini_set|putenv)\\s*\\(\\s*(?:[\\x22'$)]|[a-z_]+\\s*\\(|\\d)|\\b[oc]:\\d+:\\x22[a-z_\\\\][\\w\\\\]*\\x22:\\d+:\\{|\\ba:\\d+:\\{[is]:\\d+[:;]|__halt_compiler|\\b(?:exit|die)\\s*\\(\\s*(?:md5|[\\x22'$])|\\$\\{\\s*@" \\
  "id:9000011,phase:2,deny,status:403,${DECODE},t:lowercase,msg:'PHP injection',tag:'attack-php',tag:'confidence/high',severity:'CRITICAL'"

SecRule ${EVERYWHERE} "@rx \\b(?:php|phar|zip|compress\\.zlib|compress\\.bzip2|expect|glob|ogg|rar|ssh2\\.(?:shell|exec|tunnel|sftp|scp))://|\\bdata://|\\bdata:[^,]{0,60};base64,pd9|(?:^|[\\s=/])(?:https?|ftps?):[/\\\\]{1,2}[^?#\\s]*\\?+(?:[a-z0-9_]{1,3}=)?&?\\s*$|(?:https?|ftps?):(?:/\\\\|\\\\\\\\)|ftps?://\\S+\\.(?:php\\d?|txt|inc)\\b|ftps?://(?:[^/\\s@]*@)?\\d{1,3}(?:\\.\\d{1,3}){3}\\b|(?:https?|ftps?)://[^\\s?#]+\\?+&?/|(?:^|[\\s=/])(?:https?|ftps?)://[^\\s#]+#\\s*$|\\?\\?|(?:^|[\\s=/])//[^/\\s]+/[^\\s?#]*\\.(?:txt|php\\d?|inc)\\?|(?:^|[=\\s/])\\\\\\\\[^\\\\\\s]+\\\\[^\\s]*\\.(?:txt|php\\d?|phtml|inc|jsp|aspx?|sh|pl|py|exe|dll|hta|vbs|ps1|bat)$|(?:^|[\\s=/])(?:https?|ftps?)://\\S*(?:%00|\\x00)|(?:^|[\\s=/])(?:https?|ftps?)://(?:\\d{1,3}\\.){3}\\d{1,3}(?::\\d+)?/[^\\s?#]*\\.(?:txt|php\\d?|phtml|inc|sh|pl|py|jsp|asp|aspx|cgi|exe)\\b|(?:^|[\\s=/])(?:https?|ftps?)://[^\\s?#]*/(?:shell|c99|r57|backdoor|webshell|cmd|evil|exploit|hack|malicious|payload)\\w*\\.(?:txt|php\\d?|inc|jsp|asp)\\b|\\binclude(?:_once)?\\s*\\(?\\s*[\\x22']?(?:https?|ftps?)://" \\
  "id:9000012,phase:2,deny,status:403,t:none,t:urlDecodeUni,t:urlDecodeUni,t:lowercase,msg:'Remote file inclusion or PHP stream wrapper',tag:'attack-rfi',tag:'confidence/high',severity:'CRITICAL'"

SecRule ${EVERYWHERE} "@rx (?:^|[./@\\s])(?:oast\\.(?:pro|live|site|online|fun|me|example)|oastify\\.com|burpcollaborator\\.net|interact\\.sh|dnslog\\.cn|ceye\\.io)(?:$|[:/?#\\s])" \\
  "id:9000021,phase:2,deny,status:403,${DECODE},t:lowercase,msg:'Out-of-band interaction host of attack tools',tag:'attack-generic',tag:'confidence/high',severity:'CRITICAL'"

SecRule ${EVERYWHERE}|!${CLIENT_LOCATION} "@detectSSRF" \\
  "id:9000013,phase:2,deny,status:403,capture,${DECODE},msg:'Server-side request forgery: internal or metadata address',logdata:'%{TX.0}',tag:'attack-ssrf',tag:'confidence/high',severity:'CRITICAL'"

SecRule ${CLIENT_LOCATION} "@detectSSRF origin" \\
  "id:9000019,phase:2,deny,status:403,capture,${DECODE},msg:'Server-side request forgery in Origin or Referer (loopback allowed: where the client runs)',logdata:'%{TX.0}',tag:'attack-ssrf',tag:'confidence/high',severity:'CRITICAL'"

SecRule ARGS_NAMES|REQUEST_COOKIES_NAMES "@rx (?:^|[\\[.])\\$(?:${NOSQL_OPERATORS})(?:$|[\\].])" \\
  "id:9000014,phase:2,deny,status:403,${DECODE},t:lowercase,msg:'NoSQL operator injection',tag:'attack-nosql',tag:'confidence/high',severity:'CRITICAL'"

SecRule ${EVERYWHERE} "@rx \\{\\s*[\\x22']?\\$(?:${NOSQL_OPERATORS})[\\x22']?\\s*:|\\$where\\b|\\[\\$(?:${NOSQL_OPERATORS})\\]|;\\s*return\\s*\\(?\\s*(?:true|false|1|0|this\\b|[\\x22']\\w*[\\x22']\\s*==)|;\\s*while\\s*\\(\\s*(?:true|1)\\s*\\)|[\\x22'];.{0,120};\\s*var\\s+\\w+\\s*=\\s*[\\x22']$|\\bdb\\.(?:dropdatabase|getcollection|getsiblingdb|eval|admincommand|runcommand)\\s*\\(|\\bthis\\.[a-z_]\\w*\\.match\\s*\\(|\\breturn\\s+this\\.[a-z_]\\w*\\s*(?:[=!<>]=|\\.)|[\\x22']\\s*(?:\\|\\||&&)\\s*[\\x22']?\\w{0,20}[\\x22']?\\s*===?|(?:^|[;'\\x22|&(\\s])sleep\\s*\\(\\s*\\d+\\s*\\)|\\bdb\\.[a-z_]\\w*\\.(?:find|insert|drop|remove|update)\\w*\\s*\\(" \\
  "id:9000015,phase:2,deny,status:403,${DECODE},t:lowercase,msg:'NoSQL injection: query operator or JavaScript in a value',tag:'attack-nosql',tag:'confidence/high',severity:'CRITICAL'"

SecRule ${EVERYWHERE} "@rx \\{\\{[^{}]{0,200}?(?:\\d\\s*[*/+%-]\\s*[\\x22']?\\d|[\\x22']\\s*\\*\\s*\\d|__[a-z]{3,}__|\\b(?:config|self|lipsum|cycler|joiner|url_for|get_flashed_messages|_self|request\\.application|request\\.environ)\\b|constructor|\\|\\s*(?:attr|filter|map|reduce|sort)\\s*\\(|\\[\\s*[\\x22']_)|\\{%[^%]{0,200}?(?:\\bimport\\b|__[a-z]+__|\\bdebug\\b|\\bos\\.|popen|subprocess|\\beval\\b|\\bexec\\b|\\bsystem\\b)|\\$\\{[^{}]{0,200}?(?:\\d\\s*[*/+%-]\\s*\\d|\\bt\\s*\\(\\s*java|java\\.lang|getclass|getruntime|processbuilder|\\.exec\\s*\\(|freemarker|forname|applicationscope|pagecontext|facescontext|\\bself\\.module|__import__|os\\.(?:system|popen)|\\.getmethod|\\.invoke\\s*\\(|new\\s+java)|#\\{[^{}]{0,200}?(?:\\d\\s*[*/+%-]\\s*\\d|\\bt\\s*\\(|getclass|runtime|\\.exec|system\\s*\\(|\\x60|%x|\\bfile\\.|io\\.popen|process\\.|require\\s*\\()|\\*\\{[^{}]{0,200}?(?:\\d\\s*[*/+%-]\\s*\\d|\\bt\\s*\\()|__\\$\\{|\\{\\s*\\d+\\s*\\*\\s*\\d+\\s*\\}|\\{\\{\\s*[\\x22'][^\\x22']{0,40}[\\x22']\\s*\\.\\s*[a-z_]+\\s*\\(|\\{\\{[^{}]{0,40}\\bsettings\\.|\\{\\{<%|<%\\[|\\[\\[\\$\\{|<%[=@!#-]?\\s*[^%\\s][^%]{0,200}%>|<#(?:assign|import|include|list|if|macro|function|setting|attempt|global|local)\\b|\\?new\\s*\\(|freemarker\\.template\\.utility|#set\\s*\\(\\s*\\$|#foreach\\s*\\(|\\$class\\.inspect|#evaluate\\s*\\(|\\$[a-z_]\\w*\\.getclass\\s*\\(|\\{php\\}|\\{\\s*system\\s*\\(|\\{\\$smarty\\.|\\{smarty_internal|@\\(\\s*\\d+\\s*[*+/-]\\s*\\d+\\s*\\)|@system\\.(?:diagnostics|io)|@\\{[^}]{0,200}?(?:\\d\\s*[*+/-]\\s*\\d|system\\.|process\\.)|\\{\\{#with\\s+[\\x22'][^\\x22']*[\\x22']\\s+as\\s+\\||\\.constructor\\s*\\(\\s*[\\x22']return\\b|process\\.mainmodule|require\\s*\\(\\s*[\\x22']child_process" \\
  "id:9000016,phase:2,deny,status:403,${DECODE},t:lowercase,msg:'Server-side template injection',tag:'attack-ssti',tag:'confidence/high',severity:'CRITICAL'"

SecRule ${VALUES}|${HEADERS}|REQUEST_FILENAME|REQUEST_URI_RAW "@rx (?:\\r|\\\\[rn]|\\x{e5}\\x{98}[\\x{8a}\\x{8d}])\\n?(?:0[ad])?[\\t ]*(?:${INJECTED_HEADER})|^[^\\n]{0,80}\\n(?:0[ad])?[\\t ]*(?:${INJECTED_HEADER}|${FORGED_LOG_LINE})|\\r\\n[\\t ]*(?:${FORGED_LOG_LINE})|\\n[\\t ]*set-cookie[\\t ]*:|(?:^[^\\n]{0,80}\\n|\\r\\n)\\r?\\n[\\t ]*<(?:html|script|svg|img|body|!doctype)" \\
  "id:9000017,phase:2,deny,status:403,t:none,t:urlDecodeUni,t:urlDecodeUni,t:removeNulls,t:lowercase,msg:'CRLF injection: a header, a log line or a body after a line break',tag:'attack-crlf',tag:'confidence/high',severity:'CRITICAL'"

SecRule FILES "@rx \\.(?:php\\d?|phtml|phar|pht|phps|jsp|jspx|asp|aspx|asa|cer|shtml|cgi|htaccess)(?:$|[.;\\s])" \\
  "id:9000018,phase:2,deny,status:403,${DECODE},t:lowercase,msg:'Upload of a server-side script',tag:'attack-php',tag:'confidence/high',severity:'CRITICAL'"

SecRule REQBODY_ERROR "!@eq 0" \\
  "id:9000006,phase:2,deny,status:403,t:none,msg:'Request body the firewall cannot read: %{REQBODY_ERROR_MSG}',tag:'protocol',severity:'CRITICAL'"
`
