/**
 * Starts a real gateway in this process from a config object written to a temporary file, with
 * the access log going to a file the test can read.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { stringify } from 'yaml'
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js'

export interface TestGateway {
  gateway: Gateway
  dir: string
  configFile: string
  logFile: string
  /** http://127.0.0.1:PORT of the plain listener. */
  url: string
  /** Rewrites the config file (for reload tests). */
  writeConfig(config: object): void
  /** Parsed log lines written so far. */
  logLines(): Record<string, unknown>[]
  stop(): Promise<void>
}

export function baseConfig(upstreamUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    listen: { http: { port: 0, host: '127.0.0.1' } },
    watch: false,
    apis: [{ name: 'test', basePath: '/', upstream: { url: upstreamUrl } }],
    ...extra,
  }
}

export async function startTestGateway(config: object, options: Partial<GatewayOptions> & { files?: Record<string, string> } = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-test-'))
  const configFile = join(dir, 'gateway.yaml')
  const logFile = join(dir, 'gateway.log')
  for (const [name, content] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), content)
  }
  const withLog = (c: object) => ({ log: { destination: logFile, level: 'info' }, ...c })
  writeFileSync(configFile, stringify(withLog(config)))
  const { files: _files, ...gatewayOptions } = options
  const gateway = await startGateway({ configFile, ...gatewayOptions })
  const http = gateway.addresses.http
  return {
    gateway,
    dir,
    configFile,
    logFile,
    url: http === undefined ? '' : `http://127.0.0.1:${http.port}`,
    writeConfig(next) {
      writeFileSync(configFile, stringify(withLog(next)))
    },
    logLines() {
      gateway.flushLogs()
      if (!existsSync(logFile)) return []
      return readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    },
    async stop() {
      await gateway.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Waits until `check` returns true, polling; fails after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}
