/**
 * The `vendor-json` family: JSON bodies sent with the media types APIs define for them — JSON:API
 * (`application/vnd.api+json`), vendor types with versions (`application/vnd.acme.orders+json;
 * version=2`, Contentful's `application/vnd.contentful.management.v1+json`), SCIM users, groups
 * and PATCH operations with filter paths (`emails[type eq "work"].value`, RFC 7644), JSON Patch
 * (RFC 6902, Kubernetes-style paths), JSON Merge Patch (RFC 7396) and Kubernetes' strategic
 * merge patch, JSON-LD (schema.org), HAL and problem details (RFC 9457). Our own templates.
 */
import type { CorpusBuilder, DraftRequest } from './waf-benign-build.js'
import { queryString } from './waf-benign-build.js'
import { clientHeaders } from './waf-benign-client.js'
import type { Faker, TextSource } from './waf-benign-text.js'

const object = { type: 'object' }
const body = (types: readonly string[], schema: object = object) => ({ required: true, content: Object.fromEntries(types.map((type) => [type, { schema }])) })
const id = (name: string, schema: object = { type: 'string' }) => ({ name, in: 'path', required: true, schema })
const PATCH_OPS = { type: 'array', items: { type: 'object', required: ['op', 'path'], properties: { op: { enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] }, path: { type: 'string' }, from: { type: 'string' } } } }

const DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'Vendor JSON media types (benign corpus)', version: '1.0.0' },
  paths: {
    '/articles': { post: { operationId: 'createArticle', requestBody: body(['application/vnd.api+json']) } },
    '/articles/{id}': { patch: { operationId: 'updateArticle', parameters: [id('id')], requestBody: body(['application/vnd.api+json']) } },
    '/v2/orders': { post: { operationId: 'createOrder', requestBody: body(['application/vnd.acme.orders+json']) } },
    '/spaces/{spaceId}/environments/master/entries/{entryId}': { put: { operationId: 'putEntry', parameters: [id('spaceId'), id('entryId')], requestBody: body(['application/vnd.contentful.management.v1+json']) } },
    '/scim/v2/Users': {
      get: { operationId: 'listUsers', parameters: [{ name: 'filter', in: 'query', schema: { type: 'string' } }, { name: 'startIndex', in: 'query', schema: { type: 'integer' } }, { name: 'count', in: 'query', schema: { type: 'integer' } }] },
      post: { operationId: 'createUser', requestBody: body(['application/scim+json', 'application/json']) },
    },
    '/scim/v2/Users/{id}': { patch: { operationId: 'patchUser', parameters: [id('id')], requestBody: body(['application/scim+json']) } },
    '/scim/v2/Groups': { post: { operationId: 'createGroup', requestBody: body(['application/scim+json']) } },
    '/scim/v2/Groups/{id}': { patch: { operationId: 'patchGroup', parameters: [id('id')], requestBody: body(['application/scim+json']) } },
    '/documents/{id}': { patch: { operationId: 'patchDocument', parameters: [id('id')], requestBody: { required: true, content: { 'application/json-patch+json': { schema: PATCH_OPS }, 'application/merge-patch+json': { schema: object } } } } },
    '/apis/apps/v1/namespaces/{namespace}/deployments/{name}': {
      patch: { operationId: 'patchDeployment', parameters: [id('namespace'), id('name')], requestBody: { required: true, content: { 'application/json-patch+json': { schema: PATCH_OPS }, 'application/merge-patch+json': { schema: object }, 'application/strategic-merge-patch+json': { schema: object } } } },
    },
    '/events': { post: { operationId: 'createEvent', requestBody: body(['application/ld+json']) } },
    '/orders': { post: { operationId: 'createHalOrder', requestBody: body(['application/hal+json']) } },
    '/client-errors': { post: { operationId: 'reportError', requestBody: body(['application/problem+json']) } },
  },
} as const

type Shape = Pick<DraftRequest, 'method' | 'template' | 'operationId' | 'params' | 'query' | 'body'> & { contentType?: string }
type Make = (f: Faker, text: TextSource) => Shape

const json = (value: unknown) => JSON.stringify(value)
const scimSchemas = ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']

const SHAPES: readonly Make[] = [
  (f, t) => ({ method: 'POST', template: '/articles', operationId: 'createArticle', contentType: 'application/vnd.api+json', body: json({ data: { type: 'articles', attributes: { title: t.title(), body: t.comment(), 'published-at': f.date.recent().toISOString() }, relationships: { author: { data: { type: 'people', id: f.string.numeric(3) } }, tags: { data: [{ type: 'tags', id: '2' }, { type: 'tags', id: '7' }] } } } }) }),
  (f, t) => ({ method: 'PATCH', template: '/articles/{id}', operationId: 'updateArticle', params: { id: f.string.numeric(4) }, contentType: 'application/vnd.api+json', body: json({ data: { type: 'articles', id: f.string.numeric(4), attributes: { title: t.title() } }, meta: { 'client-version': f.system.semver() } }) }),
  (f, t) => {
    const address = t.address()
    return { method: 'POST', template: '/v2/orders', operationId: 'createOrder', contentType: `application/vnd.acme.orders+json; version=2`, body: json({ customer: { name: t.name(), email: f.internet.email() }, shipping: { line1: address.street, city: address.city, postal_code: address.postalCode, country: address.country }, items: [{ sku: `SKU-${f.string.alphanumeric(6).toUpperCase()}`, qty: f.number.int({ min: 1, max: 4 }), price: f.commerce.price() }], note: t.comment() }) }
  },
  (f, t) => ({ method: 'PUT', template: '/spaces/{spaceId}/environments/master/entries/{entryId}', operationId: 'putEntry', params: { spaceId: f.string.alphanumeric(12).toLowerCase(), entryId: f.string.alphanumeric(22) }, contentType: 'application/vnd.contentful.management.v1+json', body: json({ fields: { title: { [t.tag]: t.title() }, body: { [t.tag]: t.comment() }, slug: { 'en-US': f.word.words(3).toLowerCase().replace(/\s+/g, '-') } } }) }),
  (f, t) => {
    const given = t.name().split(' ')
    const address = t.address()
    return {
      method: 'POST',
      template: '/scim/v2/Users',
      operationId: 'createUser',
      contentType: 'application/scim+json',
      body: json({
        schemas: scimSchemas,
        externalId: f.string.uuid(),
        userName: f.internet.email().toLowerCase(),
        name: { formatted: t.name(), givenName: given[0], familyName: given.slice(1).join(' ') || given[0] },
        displayName: t.name(),
        emails: [{ value: f.internet.email(), type: 'work', primary: true }],
        addresses: [{ type: 'work', streetAddress: address.street, locality: address.city, postalCode: address.postalCode, country: f.location.countryCode() }],
        active: true,
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: f.string.numeric(6), department: f.commerce.department(), manager: { value: f.string.uuid() } },
      }),
    }
  },
  (f, t) => ({
    method: 'PATCH',
    template: '/scim/v2/Users/{id}',
    operationId: 'patchUser',
    params: { id: f.string.uuid() },
    contentType: 'application/scim+json',
    body: json({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: f.helpers.arrayElements(
        [
          { op: 'replace', path: 'name.familyName', value: t.name().split(' ').pop() },
          { op: 'add', path: 'emails[type eq "work"].value', value: f.internet.email() },
          { op: 'replace', path: 'active', value: false },
          { op: 'replace', value: { displayName: t.name(), title: f.person.jobTitle() } },
          { op: 'remove', path: `phoneNumbers[type eq "fax"]` },
          { op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: f.commerce.department() },
        ],
        { min: 1, max: 3 },
      ),
    }),
  }),
  (f) => ({ method: 'GET', template: '/scim/v2/Users', operationId: 'listUsers', query: queryString([['filter', f.helpers.arrayElement([`userName eq "${f.internet.email().toLowerCase()}"`, `externalId eq "${f.string.uuid()}"`, `emails[type eq "work" and value co "@example.com"]`, `meta.lastModified gt "2025-01-01T00:00:00Z" and active eq true`])], ['startIndex', 1], ['count', 100]], f.datatype.boolean() ? 'form' : 'percent') }),
  (f, t) => ({ method: 'POST', template: '/scim/v2/Groups', operationId: 'createGroup', contentType: 'application/scim+json', body: json({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `${t.company()} – ${f.commerce.department()}`, members: [{ value: f.string.uuid(), display: t.name() }] }) }),
  (f) => ({ method: 'PATCH', template: '/scim/v2/Groups/{id}', operationId: 'patchGroup', params: { id: f.string.uuid() }, contentType: 'application/scim+json', body: json({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: f.helpers.arrayElement(['add', 'remove']), path: 'members', value: [{ value: f.string.uuid() }] }, { op: 'remove', path: `members[value eq "${f.string.uuid()}"]` }] }) }),
  (f, t) => ({
    method: 'PATCH',
    template: '/documents/{id}',
    operationId: 'patchDocument',
    params: { id: f.string.uuid() },
    contentType: 'application/json-patch+json',
    body: json(f.helpers.arrayElements([{ op: 'replace', path: '/title', value: t.title() }, { op: 'add', path: '/tags/-', value: f.commerce.department() }, { op: 'remove', path: '/metadata/draft' }, { op: 'test', path: '/version', value: f.number.int({ min: 1, max: 9 }) }, { op: 'move', from: '/sections/2', path: '/sections/0' }, { op: 'copy', from: '/owner/email', path: '/contacts/0/email' }, { op: 'add', path: '/a~1b/c~0d', value: t.comment() }], { min: 1, max: 4 })),
  }),
  (f, t) => ({ method: 'PATCH', template: '/documents/{id}', operationId: 'patchDocument', params: { id: f.string.uuid() }, contentType: 'application/merge-patch+json', body: json({ title: t.title(), tags: null, metadata: { owner: t.name(), reviewedAt: f.date.recent().toISOString() } }) }),
  (f) => {
    const image = `${f.helpers.arrayElement(['ghcr.io/acme/api', 'registry.example.com/payments/worker', 'nginx'])}:${f.system.semver()}`
    const patches: [string, unknown][] = [
      ['application/json-patch+json', [{ op: 'replace', path: '/spec/replicas', value: f.number.int({ min: 1, max: 10 }) }, { op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }, { op: 'add', path: '/metadata/labels/app.kubernetes.io~1version', value: f.system.semver() }]],
      ['application/merge-patch+json', { spec: { replicas: f.number.int({ min: 1, max: 10 }) }, metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': f.date.recent().toISOString() } } }],
      ['application/strategic-merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'app', image, env: [{ name: 'LOG_LEVEL', value: 'debug' }] }] } } } }],
    ]
    const [contentType, patch] = f.helpers.arrayElement(patches)
    return { method: 'PATCH', template: '/apis/apps/v1/namespaces/{namespace}/deployments/{name}', operationId: 'patchDeployment', params: { namespace: f.helpers.arrayElement(['default', 'payments', 'kube-system']), name: `${f.word.noun().toLowerCase()}-api` }, contentType, body: json(patch) }
  },
  (f, t) => {
    const address = t.address()
    return { method: 'POST', template: '/events', operationId: 'createEvent', contentType: 'application/ld+json', body: json({ '@context': 'https://schema.org', '@type': 'Event', name: t.title(), startDate: f.date.future().toISOString(), eventAttendanceMode: 'https://schema.org/OfflineEventAttendanceMode', location: { '@type': 'Place', name: t.company(), address: { '@type': 'PostalAddress', streetAddress: address.street, addressLocality: address.city, postalCode: address.postalCode, addressCountry: address.country } }, description: t.comment(), inLanguage: t.tag }) }
  },
  (f) => {
    const order = f.string.numeric(6)
    return { method: 'POST', template: '/orders', operationId: 'createHalOrder', contentType: 'application/hal+json', body: json({ _links: { self: { href: `/orders/${order}` }, customer: { href: `/customers/${f.string.numeric(4)}` }, 'ea:basket': { href: `/baskets/${f.string.numeric(5)}`, templated: false } }, total: Number(f.commerce.price()), currency: 'EUR', status: 'pending', _embedded: { items: [{ _links: { self: { href: `/items/${f.string.numeric(4)}` } }, sku: f.string.alphanumeric(8).toUpperCase(), quantity: 2 }] } }) }
  },
  (f) => ({ method: 'POST', template: '/client-errors', operationId: 'reportError', contentType: 'application/problem+json', body: json({ type: 'https://example.com/probs/out-of-credit', title: 'You do not have enough credit.', status: 403, detail: `Your current balance is ${f.number.int({ min: 0, max: 40 })}, but that costs 50.`, instance: `/account/${f.string.numeric(5)}/msgs/${f.string.alphanumeric(6)}`, balance: 30, accounts: [`/account/${f.string.numeric(5)}`, `/account/${f.string.numeric(5)}`] }) }),
]

/** Adds `count` requests in vendor JSON media types, their free text from `texts`. */
export function vendorJsonRequests(builder: CorpusBuilder, texts: readonly TextSource[], random: Faker, count: number): void {
  const api = 'vendor-json'
  builder.addApi(api, DOCUMENT)
  for (let attempt = 0, added = 0; added < count && attempt < count * 3; attempt++) {
    const make = random.helpers.arrayElement(SHAPES)
    const text = random.helpers.arrayElement(texts)
    const { contentType, ...shape } = make(random, text)
    const accept = contentType?.split(';')[0]
    const headers = clientHeaders(random, { kind: 'sdk', language: text.tag, ...(accept === undefined ? {} : { accept }) })
    if (contentType !== undefined) headers.push(['content-type', contentType])
    const family = contentType?.split(';')[0] ?? 'application/scim+json'
    if (builder.add({ ...shape, class: 'vendor-json', placement: shape.query === undefined ? 'json' : 'query', source: `generated:${family}`, api, headers })) added++
  }
}
