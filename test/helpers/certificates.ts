/** Real certificates for TLS tests, made with the openssl command line in a temporary directory. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Pki {
  dir: string
  caCert: string
  /** Issues a certificate signed by the CA; returns the paths of its PEM files. */
  issue(name: string, options: { cn: string; san?: string[]; client?: boolean }): { cert: string; key: string }
  read(path: string): Buffer
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: 'pipe' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('the TLS tests need the openssl command: apt-get install openssl', { cause: error })
    throw error
  }
}

export function createPki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pki-'))
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Portcullis Test CA'], dir)
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    issue(name, { cn, san = [], client = false }) {
      openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir)
      const ext = [
        client ? 'extendedKeyUsage=clientAuth' : 'extendedKeyUsage=serverAuth',
        ...(san.length > 0 ? [`subjectAltName=${san.join(',')}`] : []),
      ].join('\n')
      writeFileSync(join(dir, `${name}.ext`), `${ext}\n`)
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], dir)
      return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }
    },
    read: (path) => readFileSync(path),
  }
}
