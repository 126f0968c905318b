/**
 * The log sink: each event one line of the operational log under the logger name
 * `portcullis.security`, its fields the ECS document's (so a log shipper can index it as it is).
 */
import type { Logger } from 'pino'
import type { EventSink } from './sink-queue.js'

export function createLogSink(logger: Logger): EventSink {
  const security = logger.child({ name: 'portcullis.security' })
  return {
    name: 'log',
    send(batch) {
      for (const { message, ...fields } of batch) security.info(fields, message)
      return Promise.resolve()
    },
  }
}
