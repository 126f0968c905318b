/**
 * A gateway serving the developer portal: the portal fixture (test/fixtures/portal) copied to a
 * temporary folder, optionally edited, started in this process on a free port.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGateway, type Gateway } from '../../src/gateway.js'

export const PORTAL_FIXTURE_DIR = join(import.meta.dirname, '../fixtures/portal')

export interface PortalGateway {
  gateway: Gateway
  dir: string
  port: number
  url: string
  stop(): Promise<void>
}

/** `edit` rewrites the fixture's gateway.yaml text before the start; `prepare` may add files to the folder. */
export async function startPortalGateway(edit: (yaml: string) => string = (y) => y, prepare: (dir: string) => void = () => undefined): Promise<PortalGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-portal-gw-'))
  cpSync(PORTAL_FIXTURE_DIR, dir, { recursive: true })
  const configFile = join(dir, 'gateway.yaml')
  writeFileSync(configFile, edit(readFileSync(configFile, 'utf8')))
  prepare(dir)
  let gateway: Gateway
  try {
    gateway = await startGateway({ configFile, admin: false })
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  const port = gateway.addresses.http?.port ?? 0
  return {
    gateway,
    dir,
    port,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await gateway.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
