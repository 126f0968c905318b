/**
 * TLS certificates by SNI, reloadable without a restart: reload builds every secure context
 * first (so a bad file refuses the reload), then swaps them in; new handshakes use the new ones.
 */
import { readFileSync } from 'node:fs'
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls'
import type { GatewayConfig } from '../config/schema.js'
import { ConfigError } from '../errors.js'

export type HttpsConfig = NonNullable<GatewayConfig['listen']['https']>

export interface CertificateSet {
  /** Options of the default certificate and verification, for the listener itself. */
  readonly defaultOptions: SecureContextOptions
  readonly exact: ReadonlyMap<string, SecureContext>
  readonly wildcard: readonly (readonly [string, SecureContext])[]
  readonly fallback: SecureContext
}

/** Reads every certificate; throws ConfigError naming the one that failed. */
export function loadCertificates(https: HttpsConfig): CertificateSet {
  const ca = https.clientCertificate === undefined ? undefined : readOrThrow(https.clientCertificate.ca, 'listen.https.clientCertificate.ca')
  const common: SecureContextOptions = {
    minVersion: https.minVersion,
    ...(https.ciphers === undefined ? {} : { ciphers: https.ciphers }),
    honorCipherOrder: true,
    ...(ca === undefined ? {} : { ca }),
  }
  const exact = new Map<string, SecureContext>()
  const wildcard: [string, SecureContext][] = []
  let defaultOptions: SecureContextOptions | null = null
  let fallback: SecureContext | null = null
  https.certificates.forEach((certificate, index) => {
    const path = `listen.https.certificates[${index}]`
    const options: SecureContextOptions = {
      ...common,
      cert: readOrThrow(certificate.cert, `${path}.cert`),
      key: readOrThrow(certificate.key, `${path}.key`),
      ...(certificate.passphrase === undefined ? {} : { passphrase: certificate.passphrase }),
    }
    let context: SecureContext
    try {
      context = createSecureContext(options)
    } catch (error) {
      throw new ConfigError('GW_ERR_CONFIG_INVALID', [{ path, message: `is not a usable certificate and key: ${(error as Error).message}` }], { cause: error })
    }
    if (index === 0) {
      defaultOptions = options
      fallback = context
    }
    for (const name of certificate.serverNames ?? []) {
      const lower = name.toLowerCase()
      if (lower.startsWith('*.')) wildcard.push([lower.slice(1), context])
      else exact.set(lower, context)
    }
  })
  return { defaultOptions: defaultOptions as unknown as SecureContextOptions, exact, wildcard, fallback: fallback as unknown as SecureContext }
}

function readOrThrow(file: string, path: string): Buffer {
  try {
    return readFileSync(file)
  } catch (error) {
    throw new ConfigError('GW_ERR_CONFIG_UNREADABLE', [{ path, message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` }], { cause: error })
  }
}

/** Holds the current set; the listener's SNICallback reads it on every handshake. */
export class CertificateStore {
  #current: CertificateSet

  constructor(initial: CertificateSet) {
    this.#current = initial
  }

  get current(): CertificateSet {
    return this.#current
  }

  replace(next: CertificateSet): void {
    this.#current = next
  }

  readonly sniCallback = (serverName: string, callback: (error: Error | null, context?: SecureContext) => void): void => {
    const set = this.#current
    const name = serverName.toLowerCase()
    let context = set.exact.get(name)
    if (context === undefined) {
      for (const [suffix, candidate] of set.wildcard) {
        // A wildcard covers exactly one label (RFC 6125 §6.4.3).
        if (name.endsWith(suffix) && !name.slice(0, -suffix.length).includes('.')) {
          context = candidate
          break
        }
      }
    }
    callback(null, context ?? set.fallback)
  }
}
