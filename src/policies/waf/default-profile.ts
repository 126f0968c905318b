/**
 * The built-in rule profile, for when no rule set is configured: our own SecLang rules around
 * the native detectors, run by the same engine. Each rule blocks on its own (no anomaly
 * scoring): every one of them is a strong signal. Ids 9_000_001–9_000_099 are ours.
 */
const ARGS = 'ARGS|ARGS_NAMES|REQUEST_COOKIES|REQUEST_COOKIES_NAMES|XML:/*|XML://@*'
const DECODE = 't:none,t:utf8toUnicode,t:urlDecodeUni,t:removeNulls'

export const DEFAULT_PROFILE = `
SecDefaultAction "phase:1,log,pass"
SecDefaultAction "phase:2,log,pass"

SecRule ${ARGS}|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer "@detectSQLi" \\
  "id:9000001,phase:2,deny,status:403,capture,${DECODE},msg:'SQL injection',logdata:'fingerprint %{TX.0}',tag:'attack-sqli',severity:'CRITICAL'"

SecRule ${ARGS}|REQUEST_FILENAME|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer "@detectXSS" \\
  "id:9000002,phase:2,deny,status:403,${DECODE},t:htmlEntityDecode,t:jsDecode,t:cssDecode,msg:'Cross-site scripting',tag:'attack-xss',severity:'CRITICAL'"

SecRule REQUEST_URI_RAW|REQUEST_BODY|${ARGS}|FILES|REQUEST_HEADERS "@rx (?:^|[\\\\/])\\.{2,3}(?:[\\\\/]|$)" \\
  "id:9000003,phase:2,deny,status:403,multiMatch,t:none,t:utf8toUnicode,t:urlDecodeUni,t:urlDecodeUni,t:removeNulls,msg:'Path traversal',tag:'attack-lfi',severity:'CRITICAL'"

SecRule ${ARGS}|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer "@rx (?:[;&|\\x60\\n]|\\$\\()\\s*(?:(?:/usr)?/bin/|/sbin/)?(?:cat|ls|id|whoami|uname|wget|curl|nc|ncat|netcat|bash|sh|zsh|ksh|ping|nslookup|rm|chmod|chown|python[23]?|perl|ruby|php|powershell|cmd|certutil|bitsadmin|echo|printf|sleep|kill|passwd|ifconfig|ipconfig|tftp|telnet|xterm)(?:\\s|$|[;&|<>\\x60)])" \\
  "id:9000004,phase:2,deny,status:403,t:none,t:utf8toUnicode,t:urlDecodeUni,t:removeNulls,t:lowercase,msg:'OS command injection',tag:'attack-rce',severity:'CRITICAL'"

SecRule ${ARGS}|REQUEST_HEADERS|REQUEST_URI_RAW|REQUEST_BODY "@rx \\$\\{[^\\n]{0,200}?(?:jndi|\\$\\{(?:lower|upper|env|sys|date|main|ctx|base64|::-)[^}]{0,40}\\})" \\
  "id:9000005,phase:2,deny,status:403,t:none,t:urlDecodeUni,t:urlDecodeUni,t:lowercase,msg:'JNDI lookup',tag:'attack-java',severity:'CRITICAL'"

SecRule REQBODY_ERROR "!@eq 0" \\
  "id:9000006,phase:2,deny,status:403,t:none,msg:'Request body the firewall cannot read: %{REQBODY_ERROR_MSG}',tag:'protocol',severity:'CRITICAL'"
`
