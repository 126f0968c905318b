/**
 * Client-facing listeners: HTTP/1.1, and HTTPS with HTTP/2 by ALPN (HTTP/1.1 still served) or
 * HTTPS/1.1 only. Parser-level errors (malformed requests, oversized headers, slow clients) are
 * answered here with a problem response, since they never reach a route.
 */
import { randomUUID } from 'node:crypto'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config/schema.js'
import { ERROR_CODES, type ErrorCode } from '../errors.js'
import { renderProblem } from '../pipeline/reply.js'
import type { CertificateStore, HttpsConfig } from './certificate-store.js'

export type RequestHandler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void

type ServerConfig = GatewayConfig['server']
export type AnyServer = Server | Http2SecureServer


function applyTimeouts(server: AnyServer, options: ServerConfig): void {
  const s = server as Server
  s.headersTimeout = options.headersTimeoutMs
  s.requestTimeout = options.requestTimeoutMs
  s.keepAliveTimeout = options.keepAliveTimeoutMs
}

/** Node checks header and request timeouts on this interval (default 30 s, too coarse for slow-client defence). */
function checkingInterval(options: ServerConfig): number {
  return Math.max(50, Math.min(1000, Math.floor(options.headersTimeoutMs / 4)))
}

export function createHttpListener(options: ServerConfig, handler: RequestHandler, logger: Logger): AnyServer {
  const server = createHttpServer(
    { maxHeaderSize: options.maxHeaderBytes, requireHostHeader: true, connectionsCheckingInterval: checkingInterval(options) },
    handler,
  )
  applyTimeouts(server, options)
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket, logger))
  return server
}

export function createHttpsListener(https: HttpsConfig, options: ServerConfig, store: CertificateStore, handler: RequestHandler, logger: Logger): AnyServer {
  const verify = https.clientCertificate
  const tlsOptions = {
    ...store.current.defaultOptions,
    SNICallback: store.sniCallback,
    requestCert: verify !== undefined,
    rejectUnauthorized: verify?.mode === 'required',
    maxHeaderSize: options.maxHeaderBytes,
    connectionsCheckingInterval: checkingInterval(options),
  }
  let server: AnyServer
  if (https.http2) {
    server = createSecureServer({ ...tlsOptions, allowHTTP1: true, maxSessionMemory: 10 }, handler)
    server.on('session', (session: ServerHttp2Session) => session.on('error', () => session.destroy()))
    server.on('sessionError', (error) => logger.debug({ err: { code: (error as NodeJS.ErrnoException).code } }, 'http2 session error'))
  } else {
    server = createHttpsServer(tlsOptions, handler)
  }
  applyTimeouts(server, options)
  server.on('clientError', (error: Error, socket: Socket) => answerClientError(error, socket, logger))
  server.on('tlsClientError', (error: NodeJS.ErrnoException) => logger.debug({ err: { code: error.code } }, 'TLS handshake failed'))
  return server
}

/** Maps a parser error to a problem; the raw bytes (which may hold secrets) are never logged. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket, logger: Logger): void {
  const code = clientErrorCode(error.code)
  if (code === null) logger.debug({ client: socket.remoteAddress, err: { code: error.code } }, 'client connection error')
  else logger.info({ client: socket.remoteAddress, err: { code: error.code }, code }, 'malformed request refused')
  if (code === null || !socket.writable || (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true) {
    socket.destroy()
    return
  }
  const { status } = ERROR_CODES[code]
  const body = renderProblem(code, status, randomUUID(), null)
  socket.end(
    `HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : status === 413 ? 'Content Too Large' : 'Bad Request'}\r\n` +
      `content-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  )
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

/** Binds a server; resolves with its address, rejects with the bind error. */
export function listen(server: AnyServer, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error)
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve(server.address() as AddressInfo)
    })
  })
}
