/**
 * A three-primary Redis Cluster of the test's own (Debian's redis-server and redis-cli), on free
 * ports in a temporary directory; stopped and removed by `stop`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unusedPort } from './upstream.js'

export interface TestRedisCluster {
  /** `redis-cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3` */
  readonly url: string
  stop(): Promise<void>
}

function cli(port: number, ...args: string[]): string {
  const result = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 20_000 })
  if (result.error !== undefined) throw new Error(`cannot run redis-cli (is Debian's redis-tools installed?): ${result.error.message}`)
  return `${result.stdout}${result.stderr}`
}

export async function startTestRedisCluster(): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-redis-cluster-'))
  const ports = [await unusedPort(), await unusedPort(), await unusedPort()]
  const children: ChildProcess[] = ports.map((port) =>
    spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }),
  )
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            child.once('exit', () => resolve())
            child.kill('SIGKILL')
          }),
      ),
    )
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const deadline = Date.now() + 15_000
    const until = async (what: string, check: () => boolean) => {
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`Redis Cluster: ${what} within 15 s`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    await until('the servers did not answer', () => ports.every((port) => cli(port, 'PING').includes('PONG')))
    const created = cli(ports[0] as number, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes')
    if (!created.includes('All 16384 slots covered')) throw new Error(`redis-cli --cluster create failed: ${created.slice(-500)}`)
    await until('the cluster did not become ok', () => ports.every((port) => cli(port, 'CLUSTER', 'INFO').includes('cluster_state:ok')))
  } catch (error) {
    await stop()
    throw error
  }
  return { url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, stop }
}
