/** Check 1, authentication: secured operations without credentials, with broken tokens, and JWT forgeries. */
import { createHmac, createPublicKey } from 'node:crypto'
import type { OperationView } from '../../audit/operations.js'
import { isObject } from '../../audit/spec-model.js'
import type { Identity } from '../identities.js'
import type { ScanCheck, ScanContext } from '../scan-check.js'
import { isAdminPath } from '../../audit/operation-kinds.js'
import type { Exchange, ScanClient } from '../scan-client.js'
import { crackHmacSecret } from '../weak-secrets.js'
import { adminIdentity, escalatedClaims, freshClaims, identityMarkers, mentions } from './forged-claims.js'
import { answersAlike, identityA, identityB, isSuccess, parseJson, requestAs, securedOperations } from './shared.js'

const b64url = (text: string) => Buffer.from(text).toString('base64url')
const hmac = (algorithm: string, key: string | Buffer, input: string) => createHmac(algorithm, key).update(input).digest('base64url')
const HMAC_ALGORITHMS: Readonly<Record<string, string>> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }

interface Jwt {
  readonly header: Record<string, unknown>
  readonly payload: Record<string, unknown>
  readonly parts: readonly [string, string, string]
}

function decodeJwt(token: string | undefined): Jwt | undefined {
  const parts = token?.split('.')
  if (parts?.length !== 3) return undefined
  const header = parseJson(Buffer.from(parts[0] ?? '', 'base64url').toString())
  const payload = parseJson(Buffer.from(parts[1] ?? '', 'base64url').toString())
  return isObject(header) && isObject(payload) ? { header, payload, parts: [parts[0] ?? '', parts[1] ?? '', parts[2] ?? ''] } : undefined
}

function signHs256(header: Record<string, unknown>, payload: Record<string, unknown>, key: string | Buffer): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  return `${input}.${hmac('sha256', key, input)}`
}

/** What the probe answers the identity's genuine credentials and no credentials: an accepted forgery answers like the first, not like the second. */
const probeAnswers = new WeakMap<OperationView, { genuine: Exchange; anonymous: Exchange }>()

/** A secured GET operation without path parameters that identity A can call, and that answers A unlike an anonymous caller: where forged tokens are tried. */
async function probeFor(context: ScanContext, identity: Identity): Promise<OperationView | undefined> {
  // A document that declares no security at all: any read may be a secured one.
  const secured = securedOperations(context)
  for (const operation of secured.length > 0 || context.operations.some((candidate) => candidate.security !== undefined) ? secured : context.operations) {
    if (operation.method !== 'get' || operation.pathTemplate.includes('{')) continue
    if (probeAnswers.has(operation)) return operation
    const genuine = await context.client.send(requestAs(context, operation, identity))
    if (!isSuccess(genuine.status)) continue
    const anonymous = await context.client.send(requestAs(context, operation, undefined))
    if (isSuccess(anonymous.status) && answersAlike(anonymous, genuine)) continue
    probeAnswers.set(operation, { genuine, anonymous })
    return operation
  }
  return undefined
}

/** The probe took the token: a success shaped like the genuine answer, not like the anonymous one. */
function accepted(probe: OperationView, exchange: Exchange): boolean {
  const answers = probeAnswers.get(probe)
  if (!isSuccess(exchange.status)) return false
  return answers === undefined || (answersAlike(exchange, answers.genuine) && !(isSuccess(answers.anonymous.status) && answersAlike(exchange, answers.anonymous)))
}

export const unauthenticatedAccess: ScanCheck = {
  id: 'unauthenticated-access',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'Secured operation answers without credentials',
  description: 'The document requires credentials for the operation, yet a request without any succeeds.',
  remediation: 'Authenticate every secured operation, at the gateway (`auth`) or in the service, and refuse with 401.',
  async run(context) {
    const a = identityA(context)
    for (const operation of securedOperations(context)) {
      if (operation.method !== 'get') continue
      const exchange = await context.client.send(requestAs(context, operation, undefined))
      if (!isSuccess(exchange.status)) continue
      // Confirmed by a request with credentials: the anonymous answer is the real one, not a 200 that says "log in".
      const genuine = a === undefined ? await context.client.send(requestAs(context, operation, undefined)) : await context.client.send(requestAs(context, operation, a))
      if (isSuccess(genuine.status) && answersAlike(exchange, genuine)) context.report(operation, `${operation.method.toUpperCase()} ${operation.pathTemplate} answered ${String(exchange.status)} without credentials${a === undefined ? ', twice' : `, as it answers ${a.name}`}.`, exchange)
    }
  },
}

export const malformedToken: ScanCheck = {
  id: 'malformed-token',
  severity: 'medium',
  owasp: 'API2:2023',
  title: 'A malformed token is not refused with 401',
  description: 'A bearer token that is not a token at all is accepted or makes the server fail: the token parsing is fragile.',
  remediation: 'Parse tokens defensively and answer 401 to anything that is not a valid token.',
  async run(context) {
    const identity = identityA(context)
    const probe = identity === undefined ? undefined : await probeFor(context, identity)
    if (probe === undefined) return
    for (const token of ['eyJhbGciOi.not-json.x', 'not-a-token']) {
      const exchange = await context.client.send(requestAs(context, probe, undefined, { headers: { authorization: `Bearer ${token}` } }))
      if (accepted(probe, exchange) || exchange.status >= 500) {
        context.report(probe, `A malformed bearer token got ${String(exchange.status)} instead of 401.`, exchange)
        return
      }
    }
  },
}

/** Sends a forged token to the probe; reports when it is accepted. */
async function tryForgery(context: ScanContext, check: ScanCheck, probe: OperationView, token: string, message: string): Promise<boolean> {
  const exchange = await context.client.send(requestAs(context, probe, undefined, { headers: { authorization: `Bearer ${token}` } }))
  if (!accepted(probe, exchange)) return false
  context.report(probe, message, exchange)
  return true
}

interface Forgery {
  readonly token: string
  readonly message: string
}

function jwtCheck(metadata: Omit<ScanCheck, 'run'>, forge: (jwt: Jwt, context: ScanContext) => readonly Forgery[] | Promise<readonly Forgery[]>): ScanCheck {
  const check: ScanCheck = {
    ...metadata,
    async run(context) {
      const identity = identityA(context)
      const jwt = decodeJwt(identity?.token)
      if (identity === undefined || jwt === undefined) return
      const forgeries = await forge(jwt, context)
      if (forgeries.length === 0) return
      const probe = await probeFor(context, identity)
      if (probe === undefined) return
      for (const forgery of forgeries) if (await tryForgery(context, check, probe, forgery.token, forgery.message)) return
    },
  }
  return check
}

export const jwtAlgNone = jwtCheck(
  {
    id: 'jwt-alg-none',
    severity: 'critical',
    owasp: 'API2:2023',
    title: 'Unsigned JWT (`alg: none`) accepted',
    description: 'A token with `alg: none` and no signature is accepted: anyone can be anyone.',
    remediation: 'Verify tokens with an explicit allow-list of algorithms that never includes `none` (RFC 8725 §3.1).',
  },
  (jwt) =>
    ['none', 'None', 'NONE'].map((alg) => ({ token: `${b64url(JSON.stringify({ ...jwt.header, alg }))}.${jwt.parts[1]}.`, message: `A token with alg "${alg}" and no signature was accepted.` })),
)

export const jwtEmptySignature = jwtCheck(
  {
    id: 'jwt-empty-signature',
    severity: 'critical',
    owasp: 'API2:2023',
    title: 'JWT without its signature accepted',
    description: 'The identity\'s own token with the signature removed is still accepted: signatures are not checked.',
    remediation: 'Reject tokens whose signature is missing or does not verify.',
  },
  (jwt) => [{ token: `${jwt.parts[0]}.${jwt.parts[1]}.`, message: 'The token with its signature removed was accepted.' }],
)

export const jwtKidTampering = jwtCheck(
  {
    id: 'jwt-kid-tampering',
    severity: 'critical',
    owasp: 'API2:2023',
    title: 'JWT `kid` header controls the verification key',
    description: 'A token whose `kid` names a file that yields an empty key (`/dev/null`), signed with that empty key, is accepted: the key lookup trusts the token.',
    remediation: 'Look `kid` up in a fixed key set only; refuse unknown key ids.',
  },
  (jwt) => [{ token: signHs256({ ...jwt.header, alg: 'HS256', kid: '../../../../../../../dev/null' }, jwt.payload, ''), message: 'A token with kid "../../../../../../../dev/null" signed with an empty key was accepted.' }],
)

/** Public keys the target publishes: its JWKS at the usual place, or the one its OpenID Connect discovery names. */
async function publishedKeys(context: ScanContext): Promise<string[]> {
  const locations = [`${context.client.target.origin}/.well-known/jwks.json`]
  for (const scheme of context.spec.securitySchemes) {
    if (typeof scheme.scheme.openIdConnectUrl === 'string') {
      const discovery = parseJson((await context.client.send({ method: 'GET', path: scheme.scheme.openIdConnectUrl })).body)
      if (isObject(discovery) && typeof discovery.jwks_uri === 'string') locations.push(discovery.jwks_uri)
    }
  }
  const pems: string[] = []
  for (const location of locations) {
    const jwks = parseJson((await context.client.send({ method: 'GET', path: location })).body)
    if (!isObject(jwks) || !Array.isArray(jwks.keys)) continue
    for (const key of jwks.keys) {
      try {
        pems.push(createPublicKey({ key: key as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString())
      } catch {
        // Not a public key node can read: skip it.
      }
    }
  }
  return pems
}

export const jwtKeyConfusion = jwtCheck(
  {
    id: 'jwt-key-confusion',
    severity: 'critical',
    owasp: 'API2:2023',
    title: 'JWT algorithm confusion: HS256 signed with the public key accepted',
    description: 'A token signed with HMAC using the server\'s published public key as the secret is accepted: the verifier lets the token choose the algorithm, and the public key is public.',
    remediation: 'Bind each key to one algorithm and never verify an HMAC with a public key (RFC 8725 §3.1).',
  },
  async (jwt, context) =>
    (await publishedKeys(context)).flatMap((pem) =>
      [pem, pem.trimEnd()].map((secret) => ({ token: signHs256({ ...jwt.header, alg: 'HS256' }, jwt.payload, secret), message: "A token signed with HS256 using the server's published public key was accepted." })),
    ),
)

/** Per scan (one client each): the weak-secret and expired-token checks crack the same token of A. */
const crackedOfScan = new WeakMap<ScanClient, Promise<string | undefined>>()

/** The secret of identity A's HMAC-signed token, when it is a candidate; cracked once per scan. */
function crackedSecret(context: ScanContext, jwt: Jwt): Promise<string | undefined> {
  let cracked = crackedOfScan.get(context.client)
  if (cracked === undefined) {
    const algorithm = typeof jwt.header.alg === 'string' ? HMAC_ALGORITHMS[jwt.header.alg] : undefined
    cracked = algorithm === undefined ? Promise.resolve(undefined) : crackHmacSecret(algorithm, `${jwt.parts[0]}.${jwt.parts[1]}`, Buffer.from(jwt.parts[2], 'base64url'))
    crackedOfScan.set(context.client, cracked)
  }
  return cracked
}

/** A token with the cracked token's header (algorithm, `kid`) and `claims`, signed with `secret`. */
function signLike(jwt: Jwt, claims: Record<string, unknown>, secret: string): string {
  const input = `${b64url(JSON.stringify(jwt.header))}.${b64url(JSON.stringify(claims))}`
  const algorithm = typeof jwt.header.alg === 'string' ? HMAC_ALGORITHMS[jwt.header.alg] : undefined
  return `${input}.${hmac(algorithm ?? 'sha256', secret, input)}`
}

const masked = (secret: string) => `${secret.slice(0, 1)}${'*'.repeat(Math.max(0, secret.length - 2))}${secret.length > 1 ? secret.slice(-1) : ''}`

const sendBearer = (context: ScanContext, operation: OperationView, token: string) =>
  context.client.send(requestAs(context, operation, undefined, { headers: { authorization: `Bearer ${token}` } }))

/**
 * A token forged with B's claims, sent to the probe: it counts when the answer is B's (B is
 * named, A is not) or, where the answer names no one, the same as B's own token gets.
 */
async function forgeForB(context: ScanContext, probe: OperationView, a: Identity, aJwt: Jwt, asA: Exchange, secret: string): Promise<{ name: string; exchange: Exchange } | undefined> {
  const b = identityB(context)
  const bJwt = decodeJwt(b?.token)
  if (b === undefined || bJwt === undefined) return undefined
  const exchange = await sendBearer(context, probe, signLike(aJwt, freshClaims(bJwt.payload), secret))
  if (!isSuccess(exchange.status)) return undefined
  const namesOfB = identityMarkers(b, bJwt.payload)
  const namesOfA = identityMarkers(a, aJwt.payload).filter((name) => !namesOfB.includes(name))
  const namesB = namesOfB.some((name) => mentions(exchange.body, name)) && !namesOfA.some((name) => mentions(exchange.body, name))
  const own = namesB ? undefined : await context.client.send(requestAs(context, probe, b))
  const answersAsOwn = own !== undefined && isSuccess(own.status) && own.body === exchange.body && own.body !== asA.body
  return namesB || answersAsOwn ? { name: b.name, exchange } : undefined
}

/** Administrative-looking GET operations to try a forged administrator on, those without path parameters first. */
const ADMIN_PROBES = 5

/**
 * A token forged for the administrator (the admin identity's claims, else A's escalated), sent
 * to administrative-looking GET operations that A's own token does not reach.
 */
async function forgeForAdmin(context: ScanContext, a: Identity, aJwt: Jwt, secret: string): Promise<{ name: string; operation: OperationView; exchange: Exchange } | undefined> {
  const admin = adminIdentity(context.identities)
  const adminClaims = decodeJwt(admin?.token)?.payload
  const token = signLike(aJwt, freshClaims(adminClaims ?? escalatedClaims(aJwt.payload)), secret)
  const name = admin !== undefined && adminClaims !== undefined ? admin.name : `${a.name} made administrator`
  const adminReads = securedOperations(context)
    .filter((operation) => operation.method === 'get' && isAdminPath(operation.pathTemplate))
    .sort((left, right) => Number(left.pathTemplate.includes('{')) - Number(right.pathTemplate.includes('{')))
  for (const operation of adminReads.slice(0, ADMIN_PROBES)) {
    if (isSuccess((await context.client.send(requestAs(context, operation, a))).status)) continue
    const exchange = await sendBearer(context, operation, token)
    if (isSuccess(exchange.status)) return { name, operation, exchange }
  }
  return undefined
}

export const jwtWeakSecret: ScanCheck = {
  id: 'jwt-weak-secret',
  severity: 'critical',
  owasp: 'API2:2023',
  title: 'JWT signed with a guessable secret',
  description: 'The identity\'s HMAC-signed token verifies with a secret from a list of common passwords and words: anyone can sign tokens for any user, administrators included.',
  remediation: 'Use a random secret of at least 256 bits from a secret store, or asymmetric keys; rotate the current one.',
  async run(context) {
    const identity = identityA(context)
    const jwt = decodeJwt(identity?.token)
    if (identity === undefined || jwt === undefined) return
    const secret = await crackedSecret(context, jwt)
    if (secret === undefined) return
    const probe = await probeFor(context, identity)
    if (probe === undefined) return
    const asA = await sendBearer(context, probe, signLike(jwt, freshClaims(jwt.payload), secret))
    const asB = await forgeForB(context, probe, identity, jwt, asA, secret)
    const asAdmin = await forgeForAdmin(context, identity, jwt, secret)
    const proofs = [
      ...(isSuccess(asA.status) && asB === undefined ? [`a token it signed for ${identity.name} was accepted`] : []),
      ...(asB === undefined ? [] : [`a token forged for ${asB.name} was answered as ${asB.name}`]),
      ...(asAdmin === undefined ? [] : [`a token forged for ${asAdmin.name} reached ${asAdmin.operation.method.toUpperCase()} ${asAdmin.operation.pathTemplate}, which ${identity.name}'s own token does not`]),
    ]
    if (proofs.length === 0) return
    const evidence = asB?.exchange ?? (isSuccess(asA.status) ? asA : asAdmin?.exchange)
    context.report(probe, `The token's HMAC secret is guessable (${masked(secret)}, in a list of common passwords and words): ${proofs.join('; ')}.`, evidence)
  },
}

export const jwtExpiredAccepted: ScanCheck = {
  id: 'jwt-expired-accepted',
  severity: 'high',
  owasp: 'API2:2023',
  title: 'Expired JWT accepted',
  description: 'A token whose `exp` is an hour past is accepted: stolen tokens never stop working. (Tried when the scan can sign tokens: the identity\'s secret was guessed.)',
  remediation: 'Check `exp` (and `nbf`) on every token, with at most a minute of clock tolerance.',
  async run(context) {
    const identity = identityA(context)
    const jwt = decodeJwt(identity?.token)
    const secret = jwt === undefined ? undefined : await crackedSecret(context, jwt)
    if (identity === undefined || jwt === undefined || secret === undefined) return
    const probe = await probeFor(context, identity)
    if (probe === undefined) return
    const now = Math.floor(Date.now() / 1000)
    await tryForgery(context, this, probe, signLike(jwt, { ...jwt.payload, iat: now - 7200, exp: now - 3600 }, secret), 'A token that expired an hour ago was accepted.')
  },
}

export const AUTHENTICATION_CHECKS: readonly ScanCheck[] = [unauthenticatedAccess, malformedToken, jwtAlgNone, jwtEmptySignature, jwtKidTampering, jwtKeyConfusion, jwtWeakSecret, jwtExpiredAccepted]
