/**
 * sqlmap against the gateway in front of sqlmap's own vulnerable server (Debian package
 * `sqlmap`, `extra/vulnserver`: `GET /?id=1` pasted into SQLite), on loopback: without the WAF
 * sqlmap must find the injection; with the WAF (OWASP CRS at paranoia 1, and the built-in
 * profile) it must report the parameter as not injectable, plainly and with the tamper scripts
 * randomcase, space2comment, between and charencode. Each sqlmap run is bounded in time.
 * Usage: node --import tsx bench/sqlmap.ts [--crs ../shared/crs/v4.28.0] [--only none,crs,builtin] [--timeout 600]
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, startPinned, waitForHttp, writeGatewayConfig, type Started } from './harness.js'

const VULNSERVER = '/usr/share/sqlmap/extra/vulnserver/vulnserver.py'
const TAMPERS = ['', 'randomcase', 'space2comment', 'between', 'charencode']

const { values } = parseArgs({
  options: {
    crs: { type: 'string', default: resolve(import.meta.dirname, '../../shared/crs/v4.28.0') },
    only: { type: 'string', default: 'none,crs,builtin' },
    timeout: { type: 'string', default: '600' },
    verbose: { type: 'boolean', default: false },
  },
})
if (!existsSync(VULNSERVER) || spawnSync('sqlmap', ['--version']).status !== 0) {
  process.stderr.write(`sqlmap is not installed (Debian: apt-get install sqlmap; expected ${VULNSERVER})\n`)
  process.exit(2)
}
const only = new Set(values.only.split(','))
const dir = mkdtempSync(join(tmpdir(), 'portcullis-sqlmap-'))
const gatewayBin = join(import.meta.dirname, '..', 'bin/portcullis.js')
const started: Started[] = []

const vulnPort = await freePort()
started.push(startPinned('vulnserver', 1, 'python3', [VULNSERVER, '127.0.0.1', String(vulnPort)]))
await waitForHttp(`http://127.0.0.1:${vulnPort}/?id=1`)

interface Outcome {
  setup: string
  tamper: string
  injectable: boolean
  seconds: number
  requests: string
}

async function sqlmap(url: string, tamper: string): Promise<{ injectable: boolean; seconds: number; requests: string }> {
  const output = join(dir, `out-${Math.random().toString(36).slice(2)}`)
  // A random browser User-Agent: winning only because sqlmap names itself would prove nothing.
  const args = ['-u', url, '-p', 'id', '--batch', '--flush-session', '--random-agent', `--output-dir=${output}`, '--timeout=5', '--retries=0', '--time-sec=2', '--disable-coloring', '-v', '1']
  if (tamper !== '') args.push(`--tamper=${tamper}`)
  const t0 = performance.now()
  const child = spawn('sqlmap', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), Number(values.timeout) * 1000)
  await new Promise((done) => child.on('close', done))
  clearTimeout(timer)
  rmSync(output, { recursive: true, force: true })
  if (values.verbose) process.stdout.write(text.split('\n').filter((line) => /Payload:|Type:|injectable|WAF|403|error|critical/i.test(line)).join('\n') + '\n')
  const injectable = /Parameter: id \(GET\)|GET parameter 'id' (?:is|appears to be) '.*' injectable/.test(text) && !/do not appear to be injectable/.test(text)
  const requests = /(\d+) HTTP\(s\) requests/.exec(text)?.[1] ?? '?'
  return { injectable, seconds: (performance.now() - t0) / 1000, requests }
}

async function gatewayWith(name: string, policies: Record<string, unknown>): Promise<{ url: string; process: Started }> {
  const port = await freePort()
  const api = { name: 'vuln', basePath: '/', upstream: { url: `http://127.0.0.1:${vulnPort}` }, policies }
  const process = startPinned(`gateway-${name}`, 0, gatewayBin, ['start', '-c', writeGatewayConfig(dir, name, port, api, false)])
  await waitForHttp(`http://127.0.0.1:${port}/?id=1`)
  return { url: `http://127.0.0.1:${port}/?id=1`, process }
}

const setups: [string, Record<string, unknown>][] = [
  ['none', {}],
  ['crs', { waf: { ruleSet: values.crs, paranoia: 1 } }],
  ['builtin', { waf: {} }],
]
const outcomes: Outcome[] = []
try {
  for (const [name, policies] of setups) {
    if (!only.has(name)) continue
    const gateway = await gatewayWith(name, policies)
    started.push(gateway.process)
    for (const tamper of name === 'none' ? [''] : TAMPERS) {
      const result = await sqlmap(gateway.url, tamper)
      outcomes.push({ setup: name, tamper: tamper === '' ? '(none)' : tamper, ...result })
      process.stdout.write(`${name.padEnd(8)} ${(tamper === '' ? '(none)' : tamper).padEnd(14)} ${result.injectable ? 'INJECTABLE' : 'not injectable'}  ${result.seconds.toFixed(0)} s, ${result.requests} requests\n`)
    }
    await gateway.process.stop()
  }
} finally {
  for (const s of started) await s.stop()
  rmSync(dir, { recursive: true, force: true })
}
const expected = outcomes.every((o) => (o.setup === 'none' ? o.injectable : !o.injectable))
process.stdout.write(expected ? 'as expected: injectable without the WAF, not injectable with it\n' : 'UNEXPECTED outcome (see above)\n')
process.exitCode = expected ? 0 : 1
