/**
 * Client-facing listeners: HTTP/1.1, and HTTPS with HTTP/2 by ALPN (HTTP/1.1 still served) or
 * HTTPS/1.1 only. Parser-level errors (malformed requests, oversized headers, slow clients) and
 * `CONNECT` go to the handlers' `clientError` and `connect`, since they never reach a route;
 * `Expect: 100-continue` goes to `request` like any request, which answers 100 when it wants the body.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config/schema.js'
import type { CertificateStore, HttpsConfig } from './certificate-store.js'

export type RequestHandler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void

export interface ListenerHandlers {
  request: RequestHandler
  /** A parser error on an HTTP/1 connection; the handler answers or destroys the socket. */
  clientError(error: NodeJS.ErrnoException, socket: Socket): void
  /** An HTTP/1 `CONNECT`, with the connection's socket. */
  connect(req: IncomingMessage, socket: Socket): void
}

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

/** The handlers every listener gets; a missing Host is the request handler's to refuse, with a problem. */
function attachHandlers(server: AnyServer, handlers: ListenerHandlers): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => handlers.clientError(error, socket))
  server.on('connect', (req: IncomingMessage, socket: Socket) => handlers.connect(req, socket))
  server.on('checkContinue', handlers.request)
  // Any other expectation is refused by the request handler, with a problem and an access line.
  server.on('checkExpectation', handlers.request)
}

export function createHttpListener(options: ServerConfig, handlers: ListenerHandlers): AnyServer {
  const server = createHttpServer(
    { maxHeaderSize: options.maxHeaderBytes, requireHostHeader: false, connectionsCheckingInterval: checkingInterval(options) },
    handlers.request,
  )
  applyTimeouts(server, options)
  attachHandlers(server, handlers)
  return server
}

export function createHttpsListener(https: HttpsConfig, options: ServerConfig, store: CertificateStore, handlers: ListenerHandlers, logger: Logger): AnyServer {
  const verify = https.clientCertificate
  const tlsOptions = {
    ...store.current.defaultOptions,
    SNICallback: store.sniCallback,
    requestCert: verify !== undefined,
    rejectUnauthorized: verify?.mode === 'required',
    maxHeaderSize: options.maxHeaderBytes,
    requireHostHeader: false,
    connectionsCheckingInterval: checkingInterval(options),
  }
  let server: AnyServer
  if (https.http2) {
    // Node announces no stream limit by default: one connection could start any number of exchanges.
    server = createSecureServer({ ...tlsOptions, allowHTTP1: true, maxSessionMemory: 10, settings: { maxConcurrentStreams: options.maxConcurrentStreams } }, handlers.request)
    server.on('session', (session: ServerHttp2Session) => session.on('error', () => session.destroy()))
    server.on('sessionError', (error) => logger.debug({ err: { code: (error as NodeJS.ErrnoException).code } }, 'http2 session error'))
  } else {
    server = createHttpsServer(tlsOptions, handlers.request)
  }
  applyTimeouts(server, options)
  attachHandlers(server, handlers)
  server.on('tlsClientError', (error: NodeJS.ErrnoException) => logger.debug({ err: { code: error.code } }, 'TLS handshake failed'))
  return server
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
