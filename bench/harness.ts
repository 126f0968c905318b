/**
 * Benchmark plumbing: processes pinned to a core, wrk runs, CPU time read from /proc — the
 * least noisy figure on a shared machine is the proxy's own CPU time per request.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { stringify } from 'yaml'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'

export const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || '100')

export interface Started {
  name: string
  child: ChildProcess
  pid: number
  stop(): Promise<void>
}

/** Starts `command` pinned to `core` (a number, or a taskset list such as `0-1`); the pid is the command's own (taskset execs). */
export function startPinned(name: string, core: number | string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Started {
  const child = spawn('taskset', ['-c', String(core), command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  child.stdout?.resume()
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)))
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`${name} exited ${code}: ${stderr}\n`)
  })
  return {
    name,
    child,
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(5000)])
      if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}

/** Polls until `url` answers 200, for at most `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs = 20000, headers: Record<string, string> = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
    try {
      const res = await fetch(url, { headers })
      await res.arrayBuffer()
      if (res.status === 200) return
    } catch {
      // not up yet
    }
    await sleep(50)
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`)
}

/** User and system CPU seconds of a process and its threads so far. */
export function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { user: Number(fields[11]) / CLOCK_TICKS_PER_SECOND, system: Number(fields[12]) / CLOCK_TICKS_PER_SECOND }
}

/** User + system CPU seconds of a process and its threads so far. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid)
  return user + system
}

export interface WrkResult {
  requests: number
  rps: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  errors: number
}

/** wrk pinned to `core` (a number, or a taskset list such as `0-1`), with `threads` threads (default one). */
export async function wrk(url: string, options: { seconds: number; connections: number; core: number | string; threads?: number; headers?: Record<string, string>; script?: string }): Promise<WrkResult> {
  const headers = Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`])
  const script = options.script === undefined ? [] : ['-s', options.script]
  const args = ['-c', String(options.core), 'wrk', `-t${options.threads ?? 1}`, `-c${options.connections}`, `-d${options.seconds}s`, '--latency', ...headers, ...script, url]
  const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.resume()
  await new Promise((r) => child.once('exit', r))
  return parseWrk(out)
}

function toMs(text: string | undefined): number {
  const match = /([\d.]+)(us|ms|s)/.exec(text ?? '')
  if (match === null) return Number.NaN
  const value = Number(match[1])
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value
}

export function parseWrk(out: string): WrkResult {
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  return {
    requests,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50Ms: toMs(/\s50%\s+(\S+)/.exec(out)?.[1]),
    p99Ms: toMs(/\s99%\s+(\S+)/.exec(out)?.[1]),
    maxMs: toMs(/Latency\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1]),
    errors: non2xx + (errors === null ? 0 : errors.slice(1).reduce((n, x) => n + Number(x), 0)),
  }
}

/** An nginx that serves a static JSON body (the upstream) or proxies to one, in one process. */
export function nginxConfig(dir: string, name: string, port: number, upstreamPort: number | null): string {
  const file = join(dir, `${name}.conf`)
  const location =
    upstreamPort === null
      ? `default_type application/json; return 200 '{"id":42,"item":"keyboard","quantity":1,"ownerId":"alice","status":"shipped"}';`
      : `proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;`
  writeFileSync(
    file,
    `daemon off; master_process off; worker_processes 1; pid ${dir}/${name}.pid; error_log ${dir}/${name}.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  ${upstreamPort === null ? '' : `upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 128; }`}
  server { listen 127.0.0.1:${port}; location / { ${location} } }
}
`,
  )
  return file
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** A port nothing listens on right now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise((r) => server.close(r))
  return port
}

/**
 * nginx serving fixed answers (`locations`: nginx `location` blocks) on 127.0.0.1, one process
 * pinned to `core`, answering `probePath` before this returns.
 */
export async function startStaticUpstream(dir: string, core: number, locations: string, probePath: string): Promise<{ port: number; process: Started }> {
  const port = await freePort()
  writeFileSync(
    join(dir, 'upstream.conf'),
    `daemon off; master_process off; worker_processes 1; pid ${dir}/upstream.pid; error_log ${dir}/upstream.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    ${locations}
  }
}
`,
  )
  const process = startPinned('upstream-nginx', core, 'nginx', ['-c', join(dir, 'upstream.conf')])
  await waitForHttp(`http://127.0.0.1:${port}${probePath}`)
  return { port, process }
}

/** Writes a gateway config with one API on 127.0.0.1:`port`, logging to a file beside it; `extra` adds top-level sections. */
export function writeGatewayConfig(dir: string, name: string, port: number, api: Record<string, unknown>, access = true, extra: Record<string, unknown> = {}): string {
  const file = join(dir, `${name}.yaml`)
  writeFileSync(
    file,
    stringify({ listen: { http: { port, host: '127.0.0.1' } }, watch: false, log: { destination: join(dir, `${name}.log`), access }, apis: [api], ...extra }),
  )
  return file
}

export interface Contender {
  name: string
  start(port: number): Started
  /** Request headers wrk sends (credentials). */
  headers?: Record<string, string>
  /** A wrk Lua script that shapes each request. */
  script?: string
}

export interface Sample {
  rps: number
  p50Ms: number
  p99Ms: number
  cpuUsPerRequest: number
  errors: number
}

export interface Summary extends Sample {
  name: string
}

export interface RoundOptions {
  rounds: number
  seconds: number
  warmup: number
  connections: number
  path: string
  loadCore: number
}

/**
 * Each contender alone, `rounds` times, the order rotating each round so none always runs first
 * (or last) on a warming machine; medians of the samples.
 */
export async function measureInterleaved(contenders: readonly Contender[], options: RoundOptions): Promise<Summary[]> {
  const samples = new Map<string, Sample[]>(contenders.map((c) => [c.name, []]))
  for (let round = 1; round <= options.rounds; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length] as Contender)
    for (const contender of order) {
      const port = await freePort()
      const proxy = contender.start(port)
      const url = `http://127.0.0.1:${port}${options.path}`
      const load = { connections: options.connections, core: options.loadCore, headers: contender.headers ?? {}, ...(contender.script === undefined ? {} : { script: contender.script }) }
      try {
        await waitForHttp(url, 20000, contender.headers)
        // JIT warm-up on these machines takes several seconds; it is not measured.
        await wrk(url, { ...load, seconds: options.warmup })
        const before = cpuSeconds(proxy.pid)
        const result = await wrk(url, { ...load, seconds: options.seconds })
        const cpu = cpuSeconds(proxy.pid) - before
        const sample = { rps: result.rps, p50Ms: result.p50Ms, p99Ms: result.p99Ms, cpuUsPerRequest: (cpu * 1e6) / result.requests, errors: result.errors }
        samples.get(contender.name)?.push(sample)
        process.stderr.write(`round ${round} ${contender.name}: ${Math.round(sample.rps)} req/s, ${sample.cpuUsPerRequest.toFixed(1)} µs CPU/req, p99 ${sample.p99Ms.toFixed(2)} ms${sample.errors > 0 ? `, ${sample.errors} errors` : ''}\n`)
      } finally {
        await proxy.stop()
      }
    }
  }
  return contenders.map((c) => {
    const list = samples.get(c.name) ?? []
    return {
      name: c.name,
      rps: median(list.map((s) => s.rps)),
      p50Ms: median(list.map((s) => s.p50Ms)),
      p99Ms: median(list.map((s) => s.p99Ms)),
      cpuUsPerRequest: median(list.map((s) => s.cpuUsPerRequest)),
      errors: list.reduce((n, s) => n + s.errors, 0),
    }
  })
}

/** A Markdown table of summaries with their CPU ratio to each named reference row. */
export function formatSummaries(summaries: readonly Summary[], references: readonly { label: string; cpuUsPerRequest: number }[]): string {
  const head = ['proxy', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', ...references.map((r) => `× ${r.label}`), 'errors']
  const rows = summaries.map((s) => [
    s.name,
    String(Math.round(s.rps)),
    s.p50Ms.toFixed(2),
    s.p99Ms.toFixed(2),
    s.cpuUsPerRequest.toFixed(1),
    ...references.map((r) => (s.cpuUsPerRequest / r.cpuUsPerRequest).toFixed(2)),
    String(s.errors),
  ])
  return [head, head.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n')
}

/** The options every interleaved bench takes: `--rounds 3 --seconds 8 --warmup 6 --connections 50 --only a,b`. */
export interface BenchArgs {
  readonly rounds: number
  readonly seconds: number
  readonly warmup: number
  readonly connections: number
  /** Substrings of contender names to run (case-insensitive); empty: all. */
  readonly only: readonly string[]
}

export function parseBenchArgs(): BenchArgs {
  return parseBenchOptions({}).args
}

type ExtraOptions = Record<string, { type: 'string'; default?: string } | { type: 'boolean'; default?: boolean }>

/** `parseBenchArgs` plus a bench's own options (`extra`, as node:util's parseArgs takes them), returned as parsed. */
export function parseBenchOptions(extra: ExtraOptions): { args: BenchArgs; values: Readonly<Record<string, string | boolean | undefined>> } {
  const options: ExtraOptions = {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '6' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string', default: '' },
    ...extra,
  }
  const values = parseArgs({ options }).values as Record<string, string | boolean | undefined>
  const args: BenchArgs = {
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    warmup: Number(values.warmup),
    connections: Number(values.connections),
    only: String(values.only).split(',').map((o) => o.trim().toLowerCase()).filter((o) => o !== ''),
  }
  return { args, values }
}

/** The contenders `--only` names, plus the reference rows `keep` always keeps. */
export function selectContenders(contenders: readonly Contender[], only: readonly string[], keep: (contender: Contender) => boolean = () => false): Contender[] {
  if (only.length === 0) return [...contenders]
  return contenders.filter((c) => keep(c) || only.some((o) => c.name.toLowerCase().includes(o)))
}
