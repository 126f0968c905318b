/**
 * Apache 2.4 with ModSecurity v2 (Debian `apache2`, `libapache2-mod-security2`) as a reverse proxy
 * running an OWASP CRS directory with the gateway's CRS settings (the same `crsSettings` SecLang the
 * `waf` policy loads), for side-by-side comparisons: bench/waf.ts (throughput) and
 * scripts/waf-report.ts (what each blocks). One process (`-X`), threads of the event MPM; JSON
 * bodies parsed as ModSecurity's recommended setup parses them (its rule 200001); encoded slashes
 * passed through (an API proxy forwards them), the path forwarded as received (`nocanon`). With
 * `tagResponses`, each response carries `X-Unique-Id`, the id ModSecurity's messages in the error
 * log carry, so a caller can tell which rules decided a request.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { crsSettings } from '../../src/policies/waf/index.js'
import { startPinned, type Started } from '../harness.js'

export type CrsSettings = Parameters<typeof crsSettings>[0]

export interface ApacheOptions {
  /** A folder Apache's unprivileged user can write (mode 0777): config, pid, error log, ModSecurity's temporary files. */
  dir: string
  /** Names the config, pid and log files. */
  name: string
  port: number
  upstreamPort: number
  crs: string
  /** The gateway's CRS settings, written as the `waf` policy writes them; or `settingsText`, that SecLang itself (another checkout's `crsSettings`). */
  settings: CrsSettings
  settingsText?: string
  /** Core(s) to pin the process to (taskset list syntax). */
  core: number | string
  /** Answer each request with `X-Unique-Id` (mod_headers; off for throughput runs). */
  tagResponses?: boolean
}

export function apacheErrorLog(options: Pick<ApacheOptions, 'dir' | 'name'>): string {
  return join(options.dir, `${options.name}.error.log`)
}

export function apacheModSecurityConfig(options: ApacheOptions): string {
  const { dir, name, port, upstreamPort, crs } = options
  const modules = ['mpm_event', 'authz_core', 'proxy', 'proxy_http', 'unique_id', ...(options.tagResponses === true ? ['headers'] : []), 'security2']
  return `${modules.map((m) => `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`).join('\n')}
ServerName localhost
ServerRoot ${dir}
Listen 127.0.0.1:${port}
PidFile ${dir}/${name}.pid
ErrorLog ${apacheErrorLog(options)}
LogLevel warn
User www-data
Group www-data
KeepAlive On
MaxKeepAliveRequests 0
ThreadsPerChild 64
ThreadLimit 64
AllowEncodedSlashes NoDecode
SecRuleEngine On
SecRequestBodyAccess On
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 1048576
SecResponseBodyAccess Off
SecAuditEngine Off
SecTmpDir ${dir}
SecDataDir ${dir}
SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
Include ${crs}/crs-setup.conf.example
${options.settingsText ?? crsSettings(options.settings)}
Include ${crs}/rules/*.conf
${options.tagResponses === true ? 'Header always set X-Unique-Id "%{UNIQUE_ID}e"\n' : ''}ProxyPass / http://127.0.0.1:${upstreamPort}/ nocanon
`
}

export function startApacheModSecurity(options: ApacheOptions): Started {
  const file = join(options.dir, `${options.name}.conf`)
  writeFileSync(file, apacheModSecurityConfig(options))
  return startPinned(options.name, options.core, 'apache2', ['-X', '-f', file])
}

/** Bookkeeping rules (CRS initialization, scoring, evaluation), as the gateway leaves them out of its log. */
const BOOKKEEPING = /^9(?:01|49|59|80)\d{3}$|^900\d{3}$|^200001$/

/** The rule ids ModSecurity logged for each request, by its unique id, from the error log. */
export function modSecurityRulesByRequest(errorLog: string): Map<string, number[]> {
  const out = new Map<string, number[]>()
  let text: string
  try {
    text = readFileSync(errorLog, 'utf8')
  } catch {
    return out
  }
  for (const line of text.split('\n')) {
    if (!line.includes('ModSecurity:')) continue
    const id = /\[id "(\d+)"\]/.exec(line)?.[1]
    const request = /\[unique_id "([^"]+)"\]/.exec(line)?.[1]
    if (id === undefined || request === undefined || BOOKKEEPING.test(id)) continue
    const list = out.get(request) ?? []
    if (!list.includes(Number(id))) list.push(Number(id))
    out.set(request, list)
  }
  return out
}
