/**
 * Request ids for requests that bring none: 64 random bits per process followed by a counter,
 * e.g. `9f86d081884c7d65-000000000000002a`. Unique across processes and restarts, and far
 * cheaper than a UUID per request; they identify log lines, they are not secrets.
 */
import { randomBytes } from 'node:crypto'

export function createRequestIds(): () => string {
  const prefix = randomBytes(8).toString('hex')
  let counter = 0
  return () => {
    counter++
    return `${prefix}-${counter.toString(16).padStart(16, '0')}`
  }
}
