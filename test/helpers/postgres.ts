/**
 * A fresh schema in the test PostgreSQL (127.0.0.1:5432, database `test`; PORTCULLIS_TEST_POSTGRES
 * overrides) per suite, so parallel runs and leftovers never meet; fails with a clear message
 * when PostgreSQL is not there.
 */
import pg from 'pg'
import { redactUrl } from '../../src/stores/open-data-store.js'

export const POSTGRES = process.env.PORTCULLIS_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test'

export interface TestSchema {
  /** A connection URL whose search_path is the new schema. */
  readonly url: string
  readonly drop: () => Promise<void>
}

export async function createTestSchema(prefix: string): Promise<TestSchema> {
  const schema = `${prefix}_${process.pid}_${Date.now()}`
  const admin = new pg.Client({ connectionString: POSTGRES, connectionTimeoutMillis: 3000 })
  try {
    await admin.connect()
  } catch (error) {
    throw new Error(`PostgreSQL is needed at ${redactUrl(POSTGRES)} (set PORTCULLIS_TEST_POSTGRES, or run .ci/run which starts it): ${(error as Error).message}`, { cause: error })
  }
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.end()
  return {
    url: `${POSTGRES}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES })
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await client.end()
    },
  }
}
