/**
 * Answers to what never becomes an exchange of its own: requests the HTTP/1 parser refused
 * (malformed, headers too large, too slow) and `CONNECT`, which Node hands over as a bare
 * socket. Each gets what every other refusal gets: a problem+json with a request id and the
 * baseline security headers, an access-log line and the denial metrics. The raw bytes (which
 * may hold credentials) are never logged.
 *
 * An answer owed while earlier pipelined requests of the connection are still being answered
 * waits for them (their responses come first, RFC 9112 §9.3.2); one about the request being
 * served now (its body too slow or malformed) is that exchange's own answer.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { ERROR_CODES, type ErrorCode } from '../errors.js'
import type { AccessLogEntry } from '../observability/access-log.js'
import { renderProblem } from '../pipeline/reply.js'
import { connectionOf } from './exchange.js'
import type { ServingState } from './serving-state.js'

const ANSWERED = Symbol('portcullis.client-error-answered')
type MarkedSocket = Socket & { [ANSWERED]?: true }

/** How long a raw answer may take to reach a client that does not read it before the socket is destroyed. */
const RAW_ANSWER_LINGER_MS = 5000

/** A parser error on an HTTP/1 connection (the server's `clientError` event). */
export function answerClientError(state: ServingState, error: NodeJS.ErrnoException, socket: Socket): void {
  const marked = socket as MarkedSocket
  // The parser reports an error again for every later chunk: one answer per connection.
  if (marked[ANSWERED] === true) return
  marked[ANSWERED] = true
  const code = clientErrorCode(error.code)
  if (code === null) {
    state.logger.debug({ client: socket.remoteAddress, err: { code: error.code } }, 'client connection error')
    socket.destroy()
    return
  }
  state.logger.info({ client: socket.remoteAddress, err: { code: error.code }, code }, 'malformed request refused')
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const connection = connectionOf(socket)
  // The request the parser was reading when it failed, if it had become an exchange.
  const incoming = (socket as Socket & { parser?: { incoming?: IncomingMessage | null } | null }).parser?.incoming ?? null
  const owner = connection === undefined || incoming === null || incoming.complete ? null : connection.find(incoming)
  if (owner !== null && owner !== undefined) {
    const answer = () => {
      // Its body will never be read in full: the upstream request is abandoned, the answer closes.
      owner.abortUpstream()
      if (owner.res.headersSent) socket.destroy()
      else owner.problem(code, { connection: 'close' })
    }
    if (owner === connection?.active) answer()
    else connection?.answerInTurn(owner, answer)
    return
  }
  const answer = () => writeProblem(state, socket, code, '')
  if (connection?.deferUntilIdle(answer) !== true) answer()
}

/** `CONNECT` (the server's `connect` event): a gateway in front of APIs tunnels nothing. */
export function answerConnect(state: ServingState, req: IncomingMessage, socket: Socket): void {
  socket.on('error', () => undefined)
  const answer = () => writeProblem(state, socket, 'GW_ERR_METHOD_NOT_ALLOWED', 'CONNECT', req.httpVersion)
  if (connectionOf(socket)?.deferUntilIdle(answer) !== true) answer()
}

function writeProblem(state: ServingState, socket: Socket, code: ErrorCode, method: string, protocol = '1.1'): void {
  const { status } = ERROR_CODES[code]
  const requestId = state.nextRequestId()
  const body = renderProblem(code, status, requestId, null)
  const length = Buffer.byteLength(body)
  if (socket.writable) {
    // Nothing more is read from this connection, and the client cannot keep it open by keeping its half.
    socket.resume()
    socket.once('finish', () => socket.destroy())
    setTimeout(() => socket.destroy(), RAW_ANSWER_LINGER_MS).unref()
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\n` +
        `content-type: application/problem+json\r\ncontent-length: ${length}\r\ncache-control: no-store\r\n` +
        `x-content-type-options: nosniff\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
    )
  } else {
    socket.destroy()
  }
  state.unmatchedStats.record(status, 0, null)
  state.metrics.denials.labels('', 'gateway', code).inc()
  const entry: AccessLogEntry = {
    requestId,
    client: socket.remoteAddress ?? '',
    method,
    api: null,
    route: null,
    status,
    bytesIn: 0,
    bytesOut: length,
    durationMs: 0,
    upstreamMs: null,
    policy: null,
    code,
    upstream: null,
    protocol,
    fields: null,
  }
  state.accessLog?.(entry)
}

function clientErrorCode(code: string | undefined): ErrorCode | null {
  switch (code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return null
    case 'HPE_HEADER_OVERFLOW':
      return 'GW_ERR_REQUEST_HEADERS_TOO_LARGE'
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'GW_ERR_REQUEST_TIMEOUT'
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return 'GW_ERR_REQUEST_BODY_INCOMPLETE'
    default:
      return 'GW_ERR_REQUEST_MALFORMED'
  }
}
