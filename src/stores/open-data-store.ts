/** Opens the data store a `stores.data` URL names and runs its migrations. */
import { isAbsolute, resolve } from 'node:path'
import { ConfigError } from '../errors.js'
import type { DataStore } from './data-store.js'

/** `sqlite:PATH` (relative to `baseDir`, or `:memory:`) or `postgres://…`. */
export async function openDataStore(url: string, baseDir: string): Promise<DataStore> {
  let store: DataStore
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length)
    const { SqliteStore } = await import('./sqlite-store.js')
    store = new SqliteStore(path === ':memory:' || isAbsolute(path) ? path : resolve(baseDir, path))
  } else {
    const { PostgresStore } = await import('./postgres-store.js')
    store = new PostgresStore(url)
  }
  try {
    await store.migrate()
  } catch (error) {
    await store.close().catch(() => undefined)
    throw new Error(`data store ${redactUrl(url)}: ${(error as Error).message}`, { cause: error })
  }
  return store
}

/** openDataStore for the configured `stores.data`; a failure is a GW_ERR_DATA_STORE_UNAVAILABLE ConfigError. */
export async function openConfiguredDataStore(url: string, baseDir: string): Promise<DataStore> {
  try {
    return await openDataStore(url, baseDir)
  } catch (error) {
    throw new ConfigError('GW_ERR_DATA_STORE_UNAVAILABLE', [{ path: 'stores.data', message: (error as Error).message }], { cause: error })
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/, '$1***@')
}
