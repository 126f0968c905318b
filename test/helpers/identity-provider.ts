/**
 * A real OpenID provider (`oidc-provider`) on 127.0.0.1 for end-to-end tests: client-credentials
 * tokens as RFC 9068 JWTs (resource `https://orders.example`, audience `orders`) or opaque
 * (resource `https://opaque.example`), discovery, JWKS and introspection; users (`USERS`) who sign
 * in through the authorization-code flow with PKCE, their access tokens carrying `sub` and a
 * `roles` claim. Keys can be rotated mid-test (the provider is rebuilt on the same address) and
 * the provider stopped and restarted.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import Provider from 'oidc-provider'

export interface TestIdentityProvider {
  issuer: string
  /** Requests per path since start (e.g. `/jwks`). */
  hits: Map<string, number>
  /** The current signing key, private part included (for crafting invalid tokens with the real key). */
  signingKey(): { jwk: JWK; kid: string; privateKey: CryptoKeyLike }
  /** A client-credentials access token for `resource` with `scope`. */
  token(options?: { scope?: string; resource?: string; dpopProof?: string }): Promise<string>
  /** An access token for one of `USERS`, obtained through the authorization-code flow with PKCE. */
  userToken(user: keyof typeof USERS, options?: { scope?: string }): Promise<string>
  /** Replaces the signing key with a new one (kid changes); old tokens no longer verify against the published set. */
  rotateKey(): Promise<void>
  /** Stops answering (connections refused) until `resume`. */
  pause(): Promise<void>
  resume(): Promise<void>
  close(): Promise<void>
}

type CryptoKeyLike = Parameters<typeof exportJWK>[0]

export const GATEWAY_CLIENT = { id: 'gateway', secret: 'gateway-introspection-secret-0123456789' }
const SERVICE_CLIENT = { id: 'svc', secret: 'service-client-secret-0123456789abcdef' }
const WEB_CLIENT = { id: 'web', secret: 'web-client-secret-0123456789abcdefgh', redirectUri: 'http://127.0.0.1/callback' }

/** The provider's accounts: two users and an administrator. */
export const USERS = {
  alice: { roles: ['user'] },
  bob: { roles: ['user'] },
  root: { roles: ['admin'] },
} as const satisfies Record<string, { roles: readonly string[] }>

async function newKey(): Promise<{ jwk: JWK; kid: string; privateKey: CryptoKeyLike }> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = await exportJWK(privateKey)
  const kid = `k-${Math.random().toString(36).slice(2, 10)}`
  return { jwk: { ...jwk, kid, alg: 'ES256', use: 'sig' }, kid, privateKey }
}

/** A client the test registers besides the provider's own (e.g. the dashboard, whose redirect URI has the admin port). */
export interface ExtraClient {
  client_id: string
  client_secret: string
  redirect_uris: string[]
}

export interface IdentityProviderOptions {
  clients?: readonly ExtraClient[]
  /** Who signs in when an authorization request names no `login_hint` (a browser's log-in). */
  defaultUser?: keyof typeof USERS
}

function buildProvider(issuer: string, key: JWK, extraClients: readonly ExtraClient[]): Provider {
  return new Provider(issuer, {
    clients: [
      ...extraClients.map((c) => ({ ...c, grant_types: ['authorization_code'], response_types: ['code'], id_token_signed_response_alg: 'ES256' })),
      { client_id: SERVICE_CLIENT.id, client_secret: SERVICE_CLIENT.secret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], id_token_signed_response_alg: 'ES256' },
      { client_id: GATEWAY_CLIENT.id, client_secret: GATEWAY_CLIENT.secret, grant_types: [], redirect_uris: [], response_types: [], id_token_signed_response_alg: 'ES256' },
      { client_id: WEB_CLIENT.id, client_secret: WEB_CLIENT.secret, grant_types: ['authorization_code'], redirect_uris: [WEB_CLIENT.redirectUri], response_types: ['code'], id_token_signed_response_alg: 'ES256' },
    ],
    cookies: { keys: ['test-cookie-signing-key-0123456789'] },
    ttl: { Interaction: 600, Grant: 600, Session: 600 },
    findAccount: (_ctx: unknown, id: string) => (id in USERS ? { accountId: id, claims: () => ({ sub: id }) } : undefined),
    extraTokenClaims: (_ctx: unknown, token: { accountId?: string }) => {
      const user = token.accountId === undefined ? undefined : USERS[token.accountId as keyof typeof USERS]
      return user === undefined ? undefined : { roles: [...user.roles] }
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    jwks: { keys: [key] },
    scopes: ['orders:read', 'orders:write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Tokens requested with a DPoP proof are bound to its key (cnf.jkt).
      dPoP: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'https://orders.example',
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: 'orders:read orders:write',
          audience: resource === 'https://opaque.example' ? 'opaque-api' : 'orders',
          accessTokenTTL: 300,
          accessTokenFormat: resource === 'https://opaque.example' ? 'opaque' : 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  })
}

export async function startIdentityProvider(options: IdentityProviderOptions = {}): Promise<TestIdentityProvider> {
  const hits = new Map<string, number>()
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end()
  const sockets = new Set<Socket>()
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    hits.set(path, (hits.get(path) ?? 0) + 1)
    handler(req, res)
  }
  let server: Server = createServer(listener)
  const track = (s: Server) =>
    s.on('connection', (socket: Socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
  track(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const issuer = `http://127.0.0.1:${port}`
  let key = await newKey()
  const install = () => {
    const provider = buildProvider(issuer, key.jwk, options.clients ?? [])
    const callback = provider.callback()
    handler = (req, res) => {
      if (req.url?.startsWith('/interaction/') === true) void signInFromHint(provider, req, res, options.defaultUser)
      else callback(req, res)
    }
  }
  install()
  const closeServer = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })

  return {
    issuer,
    hits,
    signingKey: () => key,
    async token(options = {}) {
      const body = new URLSearchParams({ grant_type: 'client_credentials', scope: options.scope ?? 'orders:read', resource: options.resource ?? 'https://orders.example' })
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${SERVICE_CLIENT.id}:${SERVICE_CLIENT.secret}`).toString('base64')}`,
          ...(options.dpopProof === undefined ? {} : { dpop: options.dpopProof }),
        },
        body,
      })
      const json = (await res.json()) as { access_token?: string; error?: string; error_description?: string }
      if (json.access_token === undefined) throw new Error(`token request failed: ${res.status} ${json.error ?? ''} ${json.error_description ?? ''}`)
      return json.access_token
    },
    async userToken(user, options = {}) {
      const verifier = randomBytes(32).toString('base64url')
      const cookies = new Map<string, string>()
      const get = async (url: string): Promise<string> => {
        const res = await fetch(new URL(url, issuer), { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } })
        for (const cookie of res.headers.getSetCookie()) {
          const [pair = ''] = cookie.split(';')
          const eq = pair.indexOf('=')
          cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
        }
        const location = res.headers.get('location')
        if (res.status < 300 || res.status > 399 || location === null) throw new Error(`sign-in of ${user}: ${url} answered ${res.status} ${await res.text()}`)
        return location
      }
      const authorize = new URL('/auth', issuer)
      authorize.search = new URLSearchParams({
        client_id: WEB_CLIENT.id,
        response_type: 'code',
        redirect_uri: WEB_CLIENT.redirectUri,
        scope: `openid ${options.scope ?? 'orders:read orders:write'}`,
        resource: 'https://orders.example',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
        login_hint: user,
        state: 'test',
      }).toString()
      // /auth → /interaction/:uid (signs the hinted user in) → /auth/:uid → the redirect URI with a code.
      let location = await get(authorize.toString())
      for (let hop = 0; hop < 5 && !location.startsWith(WEB_CLIENT.redirectUri); hop++) location = await get(location)
      const code = new URL(location).searchParams.get('code')
      if (code === null) throw new Error(`sign-in of ${user} ended at ${location}`)
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${WEB_CLIENT.id}:${WEB_CLIENT.secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: WEB_CLIENT.redirectUri, code_verifier: verifier }),
      })
      const json = (await res.json()) as { access_token?: string; error?: string; error_description?: string }
      if (json.access_token === undefined) throw new Error(`token request for ${user} failed: ${res.status} ${json.error ?? ''} ${json.error_description ?? ''}`)
      return json.access_token
    },
    async rotateKey() {
      key = await newKey()
      install()
    },
    pause: closeServer,
    async resume() {
      server = createServer(listener)
      track(server)
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    },
    close: closeServer,
  }
}

/** The interaction step of a sign-in: the user named by `login_hint` (else `defaultUser`) signs in and consents to what was asked. */
async function signInFromHint(provider: Provider, req: IncomingMessage, res: ServerResponse, defaultUser: string | undefined): Promise<void> {
  try {
    const { params } = await provider.interactionDetails(req, res)
    const accountId = typeof params.login_hint === 'string' ? params.login_hint : String(defaultUser)
    if (!(accountId in USERS)) throw new Error(`unknown user ${accountId}`)
    const grant = new provider.Grant({ accountId, clientId: String(params.client_id) })
    // The provider lists the API's scopes among its own, so they are granted as both kinds.
    grant.addOIDCScope(String(params.scope))
    grant.addResourceScope('https://orders.example', String(params.scope).split(' ').filter((s) => s !== 'openid').join(' '))
    await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: false })
  } catch (error) {
    res.statusCode = 400
    res.end((error as Error).message)
  }
}
