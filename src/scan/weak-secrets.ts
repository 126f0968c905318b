/**
 * Candidate secrets for an HMAC-signed JWT, tried offline against a token the user supplied, so
 * the target sees no requests: first our own list of framework and tutorial defaults, then a
 * general word list read from npm packages at run time (the zxcvbn-ts common passwords, from the
 * Xato ten-million-password release, and English words by frequency, from OpenSubtitles via OPUS)
 * with each word also capitalised.
 */
import { createHmac } from 'node:crypto'
import { setImmediate as nextTurn } from 'node:timers/promises'

/** Defaults of frameworks and tutorials, placeholders left in configs, and common passwords. */
export const WEAK_JWT_SECRETS: readonly string[] = [
  'secret', 'Secret', 'SECRET', 'secretkey', 'secret-key', 'secret_key', 'secretKey', 'mysecret', 'my-secret', 'my_secret', 'mySecret', 'topsecret',
  'your-256-bit-secret', 'your-secret-key', 'your_jwt_secret', 'jwt-secret', 'jwt_secret', 'jwtSecret', 'jwtsecret', 'JWT_SECRET', 'jwt', 'token', 'tokensecret',
  'changeme', 'change-me', 'changeit', 'default', 'password', 'Password', 'password1', 'password123', 'passw0rd', 'P@ssw0rd', 'admin', 'admin123', 'administrator',
  'root', 'toor', 'test', 'test123', 'testing', 'dev', 'development', 'prod', 'production', 'staging', 'local', 'key', 'private', 'privatekey', 'private-key',
  'shhhhh', 'shhhhhared-secret', 'keyboard cat', 'supersecret', 'super-secret', 'super_secret', 'supersecretkey', 'verysecret', 'qwerty', 'qwerty123', '123456',
  '12345678', '123456789', '1234567890', 'abc123', 'letmein', 'welcome', 'hello', 'helloworld', 'iloveyou', 'monkey', 'dragon', 'master', 'login', 'access',
  'api', 'apikey', 'api-key', 'api_secret', 'app', 'appsecret', 'app-secret', 'app_secret', 'application', 'auth', 'authsecret', 'auth-secret', 'session',
  'sessionsecret', 'session-secret', 'cookie', 'signing-key', 'signingkey', 'hmac', 'hmac-secret', 'hs256', 'HS256', 'example', 'sample', 'demo', 'node', 'express',
  'spring', 'django-insecure', 'laravel', 'rails', 'flask', 'fastapi', 'nestjs', 'strapi', 'keycloak', 'gitlab', 'github', 'firebase', 'supabase', 'null', 'undefined',
]

/** Candidates tried between two turns of the event loop: a full miss takes about a second. */
const SLICE = 8192

/**
 * The secret that signs `input` into `signature` with HMAC `algorithm` (a node:crypto hash
 * name), when it is a candidate. The general list is loaded only when the defaults miss.
 */
export async function crackHmacSecret(algorithm: string, input: string, signature: Buffer): Promise<string | undefined> {
  const signs = (secret: string) => createHmac(algorithm, secret).update(input).digest().equals(signature)
  const known = WEAK_JWT_SECRETS.find(signs)
  if (known !== undefined) return known
  const candidates = await generalSecretCandidates()
  for (let start = 0; start < candidates.length; start += SLICE) {
    for (let index = start; index < Math.min(start + SLICE, candidates.length); index++) {
      const candidate = candidates[index] ?? ''
      if (signs(candidate)) return candidate
    }
    await nextTurn()
  }
  return undefined
}

let generalCandidates: Promise<readonly string[]> | undefined

/**
 * The general word list, without the defaults: loaded on first use and kept for the process,
 * since decompressing the packages' lists and building the variants costs about 0.1 s.
 */
export function generalSecretCandidates(): Promise<readonly string[]> {
  generalCandidates ??= loadGeneralCandidates()
  return generalCandidates
}

async function loadGeneralCandidates(): Promise<readonly string[]> {
  const [common, english] = await Promise.all([import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-en')])
  const words = [...common.dictionary['passwords-common'], ...english.dictionary['commonWords-en']]
  const candidates = new Set(words)
  for (const word of words) candidates.add(`${word.charAt(0).toUpperCase()}${word.slice(1)}`)
  for (const secret of WEAK_JWT_SECRETS) candidates.delete(secret)
  return [...candidates]
}
