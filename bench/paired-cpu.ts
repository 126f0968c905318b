/**
 * Side-by-side CPU per request of gateways that differ by one setting (bench/ab.ts's method):
 * every contender is started once and warmed, then measured windows take turns (the order
 * rotating each cycle), and the figure to read is the paired ratio — the median over cycles of a
 * contender's CPU per request divided by the reference's in the same cycle. Differences of a few
 * per cent drown in this machine's window-to-window noise (±30 %) otherwise. The ratio of the
 * best windows is printed too: a host that steals time only ever adds to a window.
 */
import { cpuTimes, freePort, median, waitForHttp, wrk, type Contender, type Started } from './harness.js'

export interface PairedOptions {
  readonly label: string
  readonly contenders: readonly Contender[]
  /** The contender every other is divided by. */
  readonly reference: string
  /** The request path wrk sends (GET). */
  readonly path: string
  readonly cycles: number
  readonly seconds: number
  readonly warmup: number
  readonly connections: number
  readonly loadCore: number
}

/** Runs the cycles and prints the table (markdown) to stdout; stops every contender. */
export async function runPaired(options: PairedOptions): Promise<void> {
  const { cycles, seconds, warmup, connections, loadCore, reference } = options
  const running: { name: string; url: string; load: { connections: number; core: number; headers: Record<string, string>; script?: string }; process: Started; total: number[]; user: number[]; rps: number[] }[] = []
  process.stderr.write(`bench ${options.label}: ${cycles} cycles × ${options.contenders.length} gateways × ${seconds}s, ${connections} connections\n`)
  try {
    for (const contender of options.contenders) {
      const port = await freePort()
      const started = contender.start(port)
      const url = `http://127.0.0.1:${port}${options.path}`
      const load = { connections, core: loadCore, headers: contender.headers ?? {}, ...(contender.script === undefined ? {} : { script: contender.script }) }
      running.push({ name: contender.name, url, load, process: started, total: [], user: [], rps: [] })
      await waitForHttp(url, 20000, contender.headers)
    }
    // The JIT takes seconds here; warm-up is not measured.
    for (const r of running) await wrk(r.url, { ...r.load, seconds: warmup })
    for (let cycle = 0; cycle < cycles; cycle++) {
      for (let k = 0; k < running.length; k++) {
        const r = running[(k + cycle) % running.length] as (typeof running)[number]
        const before = cpuTimes(r.process.pid)
        const result = await wrk(r.url, { ...r.load, seconds })
        const after = cpuTimes(r.process.pid)
        if (result.errors > 0) process.stderr.write(`${r.name}: ${result.errors} errors\n`)
        r.total.push(((after.user + after.system - before.user - before.system) * 1e6) / result.requests)
        r.user.push(((after.user - before.user) * 1e6) / result.requests)
        r.rps.push(result.rps)
      }
      process.stderr.write(`cycle ${cycle + 1}: ${running.map((r) => `${r.name} ${(r.total.at(-1) ?? 0).toFixed(1)}`).join('  ')}\n`)
    }
    const base = running.find((r) => r.name === reference)
    const rows = running.map((r) => {
      const paired = r.total.map((value, i) => value / (base?.total[i] ?? Number.NaN))
      const pairedUser = r.user.map((value, i) => value / (base?.user[i] ?? Number.NaN))
      const best = Math.min(...r.total)
      return `| ${r.name} | ${Math.round(median(r.rps))} | ${median(r.total).toFixed(1)} | ${best.toFixed(1)} | ${median(paired).toFixed(3)} | ${(best / Math.min(...(base?.total ?? [Number.NaN]))).toFixed(3)} | ${median(pairedUser).toFixed(3)} |`
    })
    process.stdout.write(
      `\n${cycles} cycles of ${seconds}s windows taking turns, ${connections} connections, GET ${options.path}; paired ratio: median over cycles of CPU per request ÷ ${reference}'s in the same cycle\n\n` +
        `| gateway | req/s | CPU µs/req (median) | best | paired ratio | ratio of bests | user-space paired ratio |\n| --- | --- | --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`,
    )
  } finally {
    for (const r of running) await r.process.stop()
  }
}
