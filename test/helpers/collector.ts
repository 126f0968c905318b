/** A local HTTP receiver of POSTs (a webhook, an OTLP collector) that records what it got and can answer with chosen statuses or not at all. */
import type { IncomingHttpHeaders } from 'node:http'
import { startUpstream } from './upstream.js'

export interface ReceivedPost {
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface TestCollector {
  readonly url: string
  /** Posts answered 200. */
  readonly received: ReceivedPost[]
  /** Statuses to answer, in turn, before answering 200 (e.g. [503] to make the first attempt fail). */
  readonly failures: number[]
  close(): Promise<void>
}

/** `hang`: accept requests and never answer (a sink that is down without refusing connections). */
export async function startCollector(options: { hang?: boolean } = {}): Promise<TestCollector> {
  const received: ReceivedPost[] = []
  const failures: number[] = []
  const server = await startUpstream((req, res, body) => {
    if (options.hang === true) return
    const status = failures.shift()
    if (status === undefined) received.push({ path: req.url ?? '', headers: req.headers, body: body.toString('utf8') })
    res.writeHead(status ?? 200, { 'content-type': 'application/json' })
    res.end('{}')
  })
  return { url: server.url, received, failures, close: () => server.close() }
}
