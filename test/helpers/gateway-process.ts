/** A gateway as a separate `portcullis start` process (the compiled build: `npm run build` first, as the test runner does). */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { unusedPort } from './upstream.js'

const BIN = join(import.meta.dirname, '../../bin/portcullis.js')

/** Starts `portcullis start -c configFile`; resolves once it logs that it started (within 20 s). */
export function startGatewayProcess(configFile: string): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'start', '-c', configFile], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
  }
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`gateway did not start within 20 s: ${output.slice(-500)}`))
    }, 20_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('"gateway started"')) {
        clearTimeout(timer)
        child.stdout?.removeAllListeners('data')
        child.stdout?.resume()
        resolve({ child, stop })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`gateway exited with ${String(code)}: ${output.slice(-500)}`))
    })
  })
}

/**
 * `portcullis start -c configFile` whose log lines (stdout, JSON) are parsed into `lines` as they
 * come, for tests that read what the process logs; `stop` sends `signal` and waits for the exit.
 */
export function spawnLoggingGateway(configFile: string): { child: ChildProcess; lines: Record<string, unknown>[]; stop: (signal?: NodeJS.Signals) => Promise<void> } {
  const child = spawn(process.execPath, [BIN, 'start', '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const lines: Record<string, unknown>[] = []
  let pending = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (pending + chunk.toString()).split('\n')
    pending = parts.pop() ?? ''
    for (const line of parts) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>)
  })
  child.stderr?.resume()
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  return { child, lines, stop }
}

/** `count` gateway processes, each with the config `configOf` gives for its port (written to `dir`); their ports and stops. */
export async function startGatewayNodes(dir: string, count: number, configOf: (port: number, index: number) => object): Promise<{ ports: number[]; nodes: { stop: () => Promise<void> }[] }> {
  const ports = await Promise.all(Array.from({ length: count }, () => unusedPort()))
  const nodes = await Promise.all(
    ports.map((port, index) => {
      const file = join(dir, `node${index}.yaml`)
      writeFileSync(file, stringify({ listen: { http: { host: '127.0.0.1', port } }, log: { level: 'info', access: false }, watch: false, ...configOf(port, index) }))
      return startGatewayProcess(file)
    }),
  )
  return { ports, nodes }
}
