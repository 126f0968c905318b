/**
 * Self-test of PetVet (test/fixtures/scan/flask-api), the Flask API the scanner is measured on:
 * every flaw of VULNERABILITIES.md proven by hand in vulnerable mode, and absent in fixed mode
 * where the table says `fixed`; every answer's status declared by the document and its JSON body
 * valid against the declared schema (the SQL error page excepted).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { SignJWT, jwtVerify } from 'jose'
import yaml from 'js-yaml'
import { request } from 'undici'
import { FLASK_API_DOCUMENT, startFlaskApi, type FlaskApi } from '../fixtures/scan/flask-api/start.js'
import { skipWithoutFlask } from '../helpers/third-party.js'

// ajv-formats is CommonJS with a default export property.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

interface Reply {
  status: number
  body: unknown
  text: string
  ms: number
}

interface CallOptions {
  params?: Record<string, string | number>
  token?: string
  body?: unknown
  /** The answer is not one the document describes (a crash page). */
  undocumented?: boolean
}

type Json = Record<string, unknown>

const document = yaml.load(readFileSync(FLASK_API_DOCUMENT, 'utf8')) as Json
const ajv = new Ajv({ strict: false, allErrors: true })
addFormats(ajv)
ajv.addFormat('password', true)
ajv.addSchema(document, 'petvet')

const pointerPart = (part: string) => part.replaceAll('~', '~0').replaceAll('/', '~1')

function lookup(pointer: string): Json {
  let node: unknown = document
  for (const part of pointer.slice(2).split('/')) node = (node as Json)[part.replaceAll('~1', '/').replaceAll('~0', '~')]
  return node as Json
}

/** Asserts that `operation` declares `status` and, for a JSON answer, that the body matches its schema. */
function assertConforms(operation: string, reply: Reply): void {
  const [method, path] = operation.split(' ') as [string, string]
  const responsesPointer = `#/paths/${pointerPart(path)}/${method.toLowerCase()}/responses`
  const declared = lookup(responsesPointer)[String(reply.status)] as Json | undefined
  assert.ok(declared !== undefined, `${operation} does not declare ${reply.status}: ${reply.text.slice(0, 200)}`)
  const schemaPointer = typeof declared.$ref === 'string' ? declared.$ref : `${responsesPointer}/${reply.status}`
  if (lookup(schemaPointer).content === undefined) return assert.equal(reply.text, '', `${operation} ${reply.status} has no body`)
  const validate = ajv.getSchema(`petvet${schemaPointer}/content/application~1json/schema`)!
  assert.ok(validate(reply.body), `${operation} ${reply.status}: ${ajv.errorsText(validate.errors)} in ${reply.text.slice(0, 300)}`)
}

async function call(api: FlaskApi, operation: string, options: CallOptions = {}): Promise<Reply> {
  const [method, template] = operation.split(' ') as [string, string]
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(options.params?.[name])))
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const started = performance.now()
  const response = await request(`${api.url}${path}`, {
    method: method as 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  })
  const text = await response.body.text()
  const ms = performance.now() - started
  const isJson = String(response.headers['content-type']).startsWith('application/json')
  const reply = { status: response.statusCode, body: isJson ? (JSON.parse(text) as unknown) : undefined, text, ms }
  if (options.undocumented !== true) assertConforms(operation, reply)
  return reply
}

async function logIn(api: FlaskApi, username: string, password: string): Promise<string> {
  const reply = await call(api, 'POST /api/v2/owners/login', { body: { username, password } })
  assert.equal(reply.status, 200, reply.text)
  return (reply.body as { auth_token: string }).auth_token
}

let scratchCount = 0
/** Signs up a new ordinary owner (plus `extra` fields) and logs in. */
async function signUp(api: FlaskApi, extra: Json = {}): Promise<{ username: string; password: string; token: string }> {
  const username = `scratch${++scratchCount}`
  const password = `Pw-${username}-1`
  const reply = await call(api, 'POST /api/v2/owners/register', { body: { username, password, email: `${username}@example.com`, ...extra } })
  assert.equal(reply.status, 201, reply.text)
  return { username, password, token: await logIn(api, username, password) }
}

const profileOf = async (api: FlaskApi, token: string) =>
  ((await call(api, 'GET /api/v2/owners/me', { token })).body as { owner: Json }).owner

for (const fixed of [false, true]) {
  describe(`PetVet, ${fixed ? 'fixed' : 'vulnerable'} mode`, { skip: skipWithoutFlask }, () => {
    let api: FlaskApi
    let jenny: string
    let omar: string
    before(async () => {
      api = await startFlaskApi({ fixed })
      jenny = await logIn(api, api.users.jenny.username, api.users.jenny.password)
      omar = await logIn(api, api.users.omar.username, api.users.omar.password)
    })
    after(async () => {
      await api?.close()
    })

    test('the log-in example of the document is a real owner, and tokens verify with the word "butterfly"', async () => {
      const example = lookup('#/paths/~1api~1v2~1owners~1login/post/requestBody/content/application~1json').example as Json
      const token = await logIn(api, String(example.username), String(example.password))
      const { payload } = await jwtVerify(token, new TextEncoder().encode('butterfly'), { algorithms: ['HS256'] })
      assert.equal(payload.sub, example.username)
    })

    test('a token forged with the weak key is accepted as any owner (remains)', async () => {
      const forged = await new SignJWT({ sub: 'omar' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode('butterfly'))
      assert.equal((await profileOf(api, forged)).username, 'omar')
      const wrongKey = await new SignJWT({ sub: 'omar' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode('not-the-key'))
      assert.equal((await call(api, 'GET /api/v2/owners/me', { token: wrongKey })).status, 401)
      assert.equal((await call(api, 'GET /api/v2/owners/me')).status, 401)
    })

    test(`SQL injection through the vet's slug in the path (${fixed ? 'fixed' : 'present'})`, async () => {
      const vet = (slug: string, undocumented = false) => call(api, 'GET /api/v2/vets/{slug}', { params: { slug }, undocumented })
      assert.equal((await vet('dr-ortega')).status, 200)
      assert.equal((await vet("dr-ortega''")).status, 404)
      assert.equal((await vet("dr-ortega' AND '1'='2")).status, 404)
      if (fixed) {
        assert.equal((await vet("dr-ortega' AND '1'='1")).status, 404)
        assert.equal((await vet("x' OR '1'='1")).status, 404)
        assert.equal((await vet("dr-ortega'")).status, 404)
      } else {
        const truthy = await vet("dr-ortega' AND '1'='1")
        assert.equal(truthy.status, 200)
        assert.equal((truthy.body as { vet: Json }).vet.slug, 'dr-ortega')
        assert.equal((await vet("x' OR '1'='1")).status, 200)
        const broken = await vet("dr-ortega'", true)
        assert.equal(broken.status, 500)
        assert.match(broken.text, /Internal Server Error/)
      }
    })

    test(`another owner's password changed through the path naming them (${fixed ? 'fixed' : 'present'})`, async () => {
      const victim = await signUp(api)
      const change = await call(api, 'PUT /api/v2/owners/{username}/password', { params: { username: victim.username }, token: jenny, body: { password: 'Taken-over-1' } })
      const login = (password: string) => call(api, 'POST /api/v2/owners/login', { body: { username: victim.username, password } })
      if (fixed) {
        assert.equal(change.status, 403)
        assert.equal((await login('Taken-over-1')).status, 401)
        assert.equal((await login(victim.password)).status, 200)
        const own = await call(api, 'PUT /api/v2/owners/{username}/password', { params: { username: victim.username }, token: victim.token, body: { password: 'My-new-one-1' } })
        assert.equal(own.status, 204)
        assert.equal((await login('My-new-one-1')).status, 200)
      } else {
        assert.equal(change.status, 204)
        assert.equal((await login('Taken-over-1')).status, 200)
        assert.equal((await login(victim.password)).status, 401)
      }
    })

    test(`another owner's e-mail changed through the path naming them (${fixed ? 'fixed' : 'present'})`, async () => {
      const victim = await signUp(api)
      const update = await call(api, 'PATCH /api/v2/owners/{username}', { params: { username: victim.username }, token: omar, body: { email: 'attacker@evil.example' } })
      assert.equal(update.status, fixed ? 403 : 200)
      assert.equal((await profileOf(api, victim.token)).email, fixed ? `${victim.username}@example.com` : 'attacker@evil.example')
      const own = await call(api, 'PATCH /api/v2/owners/{username}', { params: { username: victim.username }, token: victim.token, body: { display_name: 'Victim' } })
      assert.equal(own.status, 200)
    })

    test(`"admin": true accepted at sign-up (${fixed ? 'fixed' : 'present'})`, async () => {
      const mallory = await signUp(api, { admin: true })
      assert.equal((await profileOf(api, mallory.token)).admin, !fixed)
      assert.equal((await call(api, 'GET /api/v2/admin/pets', { token: mallory.token })).status, fixed ? 403 : 200)
      const ordinary = await signUp(api)
      assert.equal((await profileOf(api, ordinary.token)).admin, false)
    })

    test('the public debug endpoint lists every owner with their password (remains)', async () => {
      const reply = await call(api, 'GET /api/v2/debug/owners')
      assert.equal(reply.status, 200)
      const owners = (reply.body as { owners: Json[] }).owners
      for (const user of Object.values(api.users)) assert.ok(owners.some((owner) => owner.username === user.username && owner.password === user.password))
    })

    test(`log-in tells an unknown username from a wrong password (${fixed ? 'fixed' : 'present'})`, async () => {
      const unknown = await call(api, 'POST /api/v2/owners/login', { body: { username: 'no-such-owner', password: 'Whatever-1' } })
      const wrong = await call(api, 'POST /api/v2/owners/login', { body: { username: 'jenny', password: 'Whatever-1' } })
      assert.equal(unknown.status, 401)
      assert.equal(wrong.status, 401)
      if (fixed) assert.equal(unknown.text, wrong.text)
      else assert.notEqual((unknown.body as Json).message, (wrong.body as Json).message)
    })

    test('a 24-character phone number backtracks for a long time in an authenticated update and in a notice (remains)', async () => {
      const owner = await signUp(api)
      const patchPhone = (phone: string) => call(api, 'PATCH /api/v2/owners/{username}', { params: { username: owner.username }, token: owner.token, body: { phone } })
      const benign = await patchPhone(`x${'1'.repeat(23)}`)
      const evil = await patchPhone(`${'1'.repeat(23)}x`)
      assert.equal(benign.status, 400)
      assert.equal(evil.status, 400)
      assert.ok(evil.ms > 300 && evil.ms > 5 * benign.ms, `evil ${evil.ms} ms, benign ${benign.ms} ms`)
      const tooLong = await patchPhone(`${'1'.repeat(30)}x`)
      assert.equal(tooLong.status, 400)
      assert.ok(tooLong.ms < evil.ms / 2, 'the length cap answers before the pattern runs')
      assert.equal((await patchPhone('+1 415 555 0199')).status, 200)
      const notice = await call(api, 'POST /api/v2/notices', { token: owner.token, body: { pet_name: 'Max', species: 'dog', last_seen: 'Pier 39', contact_phone: `${'1'.repeat(23)}x` } })
      assert.equal(notice.status, 400)
      assert.ok(notice.ms > 300, `notice ${notice.ms} ms`)
    })

    test(`another owner's pet and its medical notes read by its id (${fixed ? 'fixed' : 'present'})`, async () => {
      const created = await call(api, 'POST /api/v2/pets', { token: jenny, body: { name: 'Pixel', species: 'bird', medical_notes: 'Feather plucking, on gabapentin.' } })
      assert.equal(created.status, 201)
      const petId = (created.body as { pet: { id: number } }).pet.id
      const read = (token: string) => call(api, 'GET /api/v2/pets/{pet_id}', { params: { pet_id: petId }, token })
      assert.equal((await read(jenny)).status, 200)
      const byOmar = await read(omar)
      if (fixed) assert.equal(byOmar.status, 404)
      else assert.equal((byOmar.body as { pet: Json }).pet.medical_notes, 'Feather plucking, on gabapentin.')
      const admin = await logIn(api, api.users.admin.username, api.users.admin.password)
      assert.equal((await read(admin)).status, 200)
      const omarsPets = (await call(api, 'GET /api/v2/pets', { token: omar })).body as { pets: Json[] }
      assert.ok(omarsPets.pets.every((pet) => pet.owner === 'omar'))
    })

    test('public by design: the owner directory is the same for everyone, notices are read without a token', async () => {
      const byJenny = await call(api, 'GET /api/v2/owners', { token: jenny })
      const byOmar = await call(api, 'GET /api/v2/owners', { token: omar })
      assert.deepEqual(byJenny.body, byOmar.body)
      assert.ok(!byJenny.text.includes('@'), 'the directory shows names only')
      const posted = await call(api, 'POST /api/v2/notices', { token: jenny, body: { pet_name: 'Whiskers', species: 'cat', last_seen: 'Mission St' } })
      assert.equal(posted.status, 201)
      const id = (posted.body as { notice: { id: number } }).notice.id
      const read = await call(api, 'GET /api/v2/notices/{notice_id}', { params: { notice_id: id } })
      assert.equal((read.body as { notice: Json }).notice.posted_by, 'jenny')
      assert.equal((await call(api, 'GET /api/v2/notices')).status, 200)
      assert.equal((await call(api, 'GET /api/v2/vets')).status, 200)
    })

    test('administrative operations refuse ordinary owners', async () => {
      assert.equal((await call(api, 'GET /api/v2/admin/pets', { token: jenny })).status, 403)
      assert.equal((await call(api, 'DELETE /api/v2/owners/{username}', { params: { username: 'omar' }, token: jenny })).status, 403)
      const admin = await logIn(api, api.users.admin.username, api.users.admin.password)
      const doomed = await signUp(api)
      assert.equal((await call(api, 'DELETE /api/v2/owners/{username}', { params: { username: doomed.username }, token: admin })).status, 200)
      assert.equal((await call(api, 'GET /api/v2/owners/me', { token: doomed.token })).status, 401)
    })

    test('thirty wrong passwords in a row are all answered, then the right one logs in (remains); attempts are counted', async () => {
      const owner = await signUp(api)
      const before = (await api.stats()).logins[owner.username] ?? 0
      for (let attempt = 0; attempt < 30; attempt++) {
        const reply = await call(api, 'POST /api/v2/owners/login', { body: { username: owner.username, password: `guess-${attempt}` } })
        assert.equal(reply.status, 401)
      }
      await logIn(api, owner.username, owner.password)
      assert.equal((await api.stats()).logins[owner.username], before + 31)
    })

    test('GET /api/v2/createdb re-creates the database and is counted', async () => {
      const scratch = await signUp(api)
      assert.equal((await api.stats()).resets, 0)
      assert.equal((await call(api, 'GET /api/v2/createdb')).status, 200)
      assert.equal((await api.stats()).resets, 1)
      assert.equal((await call(api, 'POST /api/v2/owners/login', { body: { username: scratch.username, password: scratch.password } })).status, 401)
      await logIn(api, api.users.jenny.username, api.users.jenny.password)
    })
  })
}

describe('PetVet tokens', () => {
  test('expire after tokenTtlSeconds', async () => {
    const api = await startFlaskApi({ fixed: true, tokenTtlSeconds: 2 })
    try {
      const token = await logIn(api, api.users.omar.username, api.users.omar.password)
      assert.equal((await call(api, 'GET /api/v2/pets', { token })).status, 200)
      await sleep(3200)
      const expired = await call(api, 'GET /api/v2/pets', { token })
      assert.equal(expired.status, 401)
      assert.match(String((expired.body as Json).message), /expired/i)
    } finally {
      await api.close()
    }
  })
})
