/**
 * Connection facts for the pipeline: peer address, TLS parameters and the verified client
 * certificate, computed once per connection and cached on it.
 */
import { createHash } from 'node:crypto'
import type { Socket } from 'node:net'
import type { PeerCertificate, TLSSocket } from 'node:tls'
import type { ClientCertificate, TlsInfo } from '../pipeline/context.js'

const cache = new WeakMap<Socket, { peer: string; tls: TlsInfo | null }>()

export function connectionInfo(socket: Socket): { peer: string; tls: TlsInfo | null } {
  let info = cache.get(socket)
  if (info === undefined) {
    const address = socket.remoteAddress ?? ''
    info = {
      peer: address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address,
      tls: 'encrypted' in socket ? tlsInfo(socket as TLSSocket) : null,
    }
    cache.set(socket, info)
  }
  return info
}

function tlsInfo(socket: TLSSocket): TlsInfo {
  const alpn = socket.alpnProtocol
  return {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.name ?? null,
    alpnProtocol: typeof alpn === 'string' ? alpn : null,
    serverName: typeof (socket as TLSSocket & { servername?: unknown }).servername === 'string' ? (socket as TLSSocket & { servername: string }).servername : null,
    // Only a chain that verified against the configured CA is an identity.
    clientCertificate: socket.authorized ? clientCertificate(socket.getPeerCertificate()) : null,
  }
}

function clientCertificate(cert: PeerCertificate): ClientCertificate | null {
  if (cert.raw === undefined || cert.raw.length === 0) return null
  return {
    subject: flatten(cert.subject),
    issuer: flatten(cert.issuer),
    subjectAltNames: (cert.subjectaltname ?? '')
      .split(', ')
      .filter((s) => s !== ''),
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    thumbprintS256: createHash('sha256').update(cert.raw).digest('base64url'),
    validTo: cert.valid_to,
  }
}

function flatten(names: object | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(names ?? {}) as [string, unknown][]) {
    if (typeof value === 'string') out[key] = value
    else if (Array.isArray(value)) out[key] = value.join(', ')
  }
  return out
}
