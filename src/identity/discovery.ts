/** OpenID Connect discovery (OIDC Discovery 1.0 §4): the provider's metadata from its issuer. */
import { fetchJson } from './fetch-json.js'

export interface ProviderMetadata {
  issuer: string
  jwks_uri?: string
  introspection_endpoint?: string
}

export async function discoverProvider(issuer: string, timeoutMs: number): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
  const { status, body } = await fetchJson(url, { timeoutMs })
  if (status !== 200 || typeof body !== 'object' || body === null) throw new Error(`${url}: answered ${status}, not provider metadata`)
  const metadata = body as Partial<ProviderMetadata>
  // §4.3: the metadata must name exactly the issuer it was fetched for, or it could be anyone's.
  if (metadata.issuer !== issuer) throw new Error(`${url}: names issuer ${JSON.stringify(metadata.issuer)}, expected ${JSON.stringify(issuer)}`)
  return metadata as ProviderMetadata
}
