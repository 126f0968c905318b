/**
 * The `multilingual` and `prose` families: free text where APIs take it — a search box's `q`, a
 * review's title and text, a profile's name, bio and address, a ticket comment sent as a form, an
 * attachment's description and file name in a multipart upload, a slug in the path, an audit
 * reason in a header (percent-encoded, as Discord's `X-Audit-Log-Reason`), a last search in a
 * cookie — against a reviews-and-support API of our own whose document declares each field.
 */
import type { CorpusBuilder, DraftRequest } from './waf-benign-build.js'
import { formBody, multipartBody, queryString } from './waf-benign-build.js'
import { clientHeaders } from './waf-benign-client.js'
import type { Faker, TextSource } from './waf-benign-text.js'
import type { Placement } from './waf-corpus-format.js'

const text = (maxLength: number) => ({ type: 'string', maxLength })
const json = (schema: object) => ({ required: true, content: { 'application/json': { schema } } })

/** The document of the text API (OpenAPI 3.1): free-text fields, declared as a real API would. */
export const TEXT_API = {
  openapi: '3.1.0',
  info: { title: 'Reviews and support (benign corpus)', version: '1.0.0' },
  paths: {
    '/search': {
      get: {
        operationId: 'search',
        parameters: [
          { name: 'q', in: 'query', required: true, schema: text(500) },
          { name: 'lang', in: 'query', schema: text(35) },
          { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
        ],
      },
    },
    // Cookie values are percent-encoded: a browser keeps up to 4,096 bytes per cookie.
    '/recommendations': { get: { operationId: 'recommendations', parameters: [{ name: 'last_search', in: 'cookie', schema: text(4000) }, { name: 'display_name', in: 'cookie', schema: text(1000) }] } },
    '/articles/{slug}': { get: { operationId: 'getArticle', parameters: [{ name: 'slug', in: 'path', required: true, schema: text(300) }] } },
    '/products/{productId}/reviews': {
      post: {
        operationId: 'createReview',
        parameters: [{ name: 'productId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        requestBody: json({
          type: 'object',
          required: ['rating', 'text'],
          properties: { rating: { type: 'integer', minimum: 1, maximum: 5 }, title: text(300), text: text(10000), language: text(35), author: { type: 'object', properties: { name: text(200), city: text(200) } } },
        }),
      },
    },
    '/me/profile': {
      patch: {
        operationId: 'updateProfile',
        requestBody: json({
          type: 'object',
          properties: {
            display_name: text(200),
            bio: text(5000),
            company: text(300),
            address: { type: 'object', properties: { street: text(300), city: text(200), postal_code: text(40), country: text(100) } },
          },
        }),
      },
    },
    '/tickets/{ticketId}/comments': {
      post: {
        operationId: 'addTicketComment',
        parameters: [{ name: 'ticketId', in: 'path', required: true, schema: { type: 'integer' } }],
        requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['body'], properties: { body: text(20000), author_name: text(200), notify: { type: 'boolean' } } } } } },
      },
    },
    '/attachments': {
      post: {
        operationId: 'uploadAttachment',
        requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { description: text(5000), file: { type: 'string', format: 'binary' } } } } } },
      },
    },
    '/messages/{messageId}': {
      delete: {
        operationId: 'deleteMessage',
        parameters: [
          { name: 'messageId', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9]{17,20}$' } },
          { name: 'X-Audit-Log-Reason', in: 'header', schema: text(2048) },
        ],
      },
    },
  },
} as const

const PLACEMENTS: readonly [Placement, number][] = [
  ['json', 30],
  ['query', 18],
  ['form', 12],
  ['multipart', 10],
  ['path', 10],
  ['header', 10],
  ['cookie', 10],
]

/** Adds `count` requests of `family` (`multilingual` or `prose`) with text from `sources` in turn. */
export function textRequests(builder: CorpusBuilder, family: string, sources: readonly TextSource[], source: (text: TextSource) => string, random: Faker, count: number): void {
  const api = 'text-api'
  builder.addApi(api, TEXT_API)
  const deck = PLACEMENTS.flatMap(([placement, weight]) => Array<Placement>(weight).fill(placement))
  for (let attempt = 0, added = 0; added < count && attempt < count * 3; attempt++) {
    const text = sources[attempt % sources.length] as TextSource
    const placement = random.helpers.arrayElement(deck)
    const draft = draftFor(placement, text, random)
    if (builder.add({ ...draft, class: family, placement, source: source(text), api, headers: [...clientHeaders(random, { language: text.tag }), ...draft.headers] })) added++
  }
}

type Draft = Omit<DraftRequest, 'class' | 'placement' | 'source' | 'api'>

function draftFor(placement: Placement, text: TextSource, random: Faker): Draft {
  switch (placement) {
    case 'query': {
      const q = text.query()
      return { method: 'GET', template: '/search', operationId: 'search', payload: q, query: queryString([['q', q], ['lang', text.tag.split('-')[0] as string], ...(random.datatype.boolean() ? [['page', random.number.int({ min: 1, max: 9 })] as [string, number]] : [])], random.datatype.boolean() ? 'form' : 'percent'), headers: [] }
    }
    case 'cookie': {
      const search = text.query()
      const cookie = `last_search=${encodeURIComponent(search)}${random.datatype.boolean() ? `; display_name=${encodeURIComponent(text.name())}` : ''}`
      return { method: 'GET', template: '/recommendations', operationId: 'recommendations', payload: search, headers: [['cookie', cookie]] }
    }
    case 'path': {
      const slug = slugOf(text.title())
      return { method: 'GET', template: '/articles/{slug}', operationId: 'getArticle', params: { slug }, payload: slug, headers: [] }
    }
    case 'header': {
      const reason = text.title().slice(0, 60)
      return { method: 'DELETE', template: '/messages/{messageId}', operationId: 'deleteMessage', params: { messageId: random.string.numeric(19) }, payload: reason, headers: [['x-audit-log-reason', encodeURIComponent(reason)]] }
    }
    case 'form': {
      const comment = text.comment()
      return { method: 'POST', template: '/tickets/{ticketId}/comments', operationId: 'addTicketComment', params: { ticketId: String(random.number.int({ min: 1000, max: 99999 })) }, payload: comment, body: formBody({ body: comment, author_name: text.name(), notify: random.datatype.boolean() }), headers: [['content-type', 'application/x-www-form-urlencoded']] }
    }
    case 'multipart': {
      const extension = random.helpers.arrayElement(['txt', 'md', 'csv'])
      const description = text.comment()
      const { body, contentType } = multipartBody(
        [
          { name: 'description', value: description },
          { name: 'file', value: `${text.comment()}\n`, filename: `${fileNameOf(text.title(), random.datatype.boolean() ? ' ' : '_')}.${extension}`, contentType: extension === 'csv' ? 'text/csv' : extension === 'md' ? 'text/markdown' : 'text/plain' },
        ],
        random.string.alphanumeric(16),
      )
      return { method: 'POST', template: '/attachments', operationId: 'uploadAttachment', payload: description, body, headers: [['content-type', contentType]] }
    }
    default:
      return random.datatype.boolean() ? review(text, random) : profile(text, random)
  }
}

function review(text: TextSource, random: Faker): Draft {
  const body = { rating: random.number.int({ min: 1, max: 5 }), title: text.title(), text: text.comment(), language: text.tag, author: { name: text.name(), city: text.address().city } }
  return { method: 'POST', template: '/products/{productId}/reviews', operationId: 'createReview', params: { productId: random.string.uuid() }, payload: body.text, body: JSON.stringify(body), headers: [['content-type', 'application/json']] }
}

function profile(text: TextSource, random: Faker): Draft {
  const address = text.address()
  const body = { display_name: text.name(), bio: text.comment(), ...(random.datatype.boolean() ? { company: text.company() } : {}), address: { street: address.street, city: address.city, postal_code: address.postalCode, country: address.country } }
  return { method: 'PATCH', template: '/me/profile', operationId: 'updateProfile', payload: body.bio, body: JSON.stringify(body), headers: [['content-type', random.helpers.arrayElement(['application/json', 'application/json; charset=utf-8'])]] }
}

/** The first words of a title as people name files: punctuation dropped, case kept. */
function fileNameOf(title: string, separator: string): string {
  return title.replace(/[\p{P}\p{S}]+/gu, ' ').trim().split(/\s+/u).slice(0, 4).join(separator).slice(0, 60)
}

/** A title as a slug: words joined by dashes, lower case where the script has case, punctuation dropped. */
function slugOf(title: string): string {
  return title
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .trim()
    .split(/\s+/u)
    .slice(0, 8)
    .join('-')
}
