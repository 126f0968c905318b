/**
 * The `graphql` family: GraphQL requests as clients send them to a GitHub-like and a Shopify-like
 * API — POST `application/json` `{ query, variables, operationName }` with queries, mutations with
 * typed variables (`mutation UpdateUser($id: ID!, $input: UserInput!)`), fragments, inline
 * fragments, aliases and directives (`@include(if: $x)`, `@skip`), Apollo's `__typename` and
 * persisted-query extensions, GET `?query=…&variables=…`, and multipart uploads
 * (graphql-multipart-request-spec). Documents and operations are our own.
 */
import type { CorpusBuilder } from './waf-benign-build.js'
import { multipartBody, queryString } from './waf-benign-build.js'
import { clientHeaders } from './waf-benign-client.js'
import type { Faker, TextSource } from './waf-benign-text.js'

const graphqlDocument = (title: string, path: string) => ({
  openapi: '3.1.0',
  info: { title, version: '1.0.0' },
  paths: {
    [path]: {
      get: {
        operationId: 'graphqlQuery',
        parameters: [
          { name: 'query', in: 'query', required: true, schema: { type: 'string', maxLength: 100000 } },
          { name: 'variables', in: 'query', schema: { type: 'string' } },
          { name: 'operationName', in: 'query', schema: { type: 'string' } },
        ],
      },
      post: {
        operationId: 'graphql',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { type: 'object', required: ['query'], properties: { query: { type: 'string', maxLength: 100000 }, variables: { type: ['object', 'null'] }, operationName: { type: ['string', 'null'] }, extensions: { type: 'object' } } },
            },
            'multipart/form-data': { schema: { type: 'object', required: ['operations', 'map'], properties: { operations: { type: 'string' }, map: { type: 'string' }, '0': { type: 'string', format: 'binary' } } } },
          },
        },
      },
    },
  },
})

interface Operation {
  name: string
  api: 'github' | 'shopify'
  mutation: boolean
  query: string
  variables: (f: Faker, text: TextSource) => Record<string, unknown>
}

const gid = (f: Faker, type: string) => `gid://shopify/${type}/${f.string.numeric(13)}`
const nodeId = (f: Faker, prefix: string) => `${prefix}_kwDO${f.string.alphanumeric(14)}`
const owner = (f: Faker) => f.internet.username().toLowerCase().replace(/[^a-z0-9-]/g, '')

const OPERATIONS: readonly Operation[] = [
  {
    name: 'Viewer',
    api: 'github',
    mutation: false,
    query: 'query Viewer {\n  viewer {\n    login\n    name\n    avatarUrl(size: 64)\n    repositories(first: 10, orderBy: {field: UPDATED_AT, direction: DESC}) {\n      nodes { name nameWithOwner isPrivate stargazerCount }\n    }\n  }\n}',
    variables: () => ({}),
  },
  {
    name: 'RepositoryIssues',
    api: 'github',
    mutation: false,
    query:
      'query RepositoryIssues($owner: String!, $name: String!, $first: Int = 20, $after: String) {\n  repository(owner: $owner, name: $name) {\n    id\n    description\n    issues(first: $first, after: $after, states: [OPEN], orderBy: {field: CREATED_AT, direction: DESC}) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...IssueFields } }\n    }\n  }\n}\n\nfragment IssueFields on Issue {\n  number\n  title\n  author { login }\n  labels(first: 5) { nodes { name color } }\n  createdAt\n}',
    variables: (f) => ({ owner: owner(f), name: f.word.noun().toLowerCase(), first: 20, after: f.datatype.boolean() ? null : Buffer.from(`cursor:v2:${f.string.numeric(8)}`).toString('base64') }),
  },
  {
    name: 'AddComment',
    api: 'github',
    mutation: true,
    query: 'mutation AddComment($input: AddCommentInput!) {\n  addComment(input: $input) {\n    commentEdge { node { id body url } }\n    subject { id }\n  }\n}',
    variables: (f, text) => ({ input: { subjectId: nodeId(f, 'I'), body: text.comment(), clientMutationId: f.string.uuid() } }),
  },
  {
    name: 'UpdateUser',
    api: 'github',
    mutation: true,
    query: 'mutation UpdateUser($id: ID!, $input: UserInput!) {\n  updateUser(id: $id, input: $input) {\n    user { id name email bio location updatedAt }\n    errors { field message }\n  }\n}',
    variables: (f, text) => ({ id: nodeId(f, 'U'), input: { name: text.name(), email: f.internet.email(), bio: text.comment(), location: text.address().city } }),
  },
  {
    name: 'SearchIssues',
    api: 'github',
    mutation: false,
    query:
      'query SearchIssues($q: String!, $withLabels: Boolean = false) {\n  search(query: $q, type: ISSUE, first: 25) {\n    issueCount\n    nodes {\n      ... on Issue { number title labels(first: 3) @include(if: $withLabels) { nodes { name } } }\n      ... on PullRequest { number title mergeable }\n    }\n  }\n}',
    variables: (f, text) => ({ q: f.helpers.arrayElement([`repo:${owner(f)}/api is:issue is:open label:bug sort:updated-desc`, `is:pr author:${owner(f)} -label:wip`, `${text.query()} in:title,body`]), withLabels: f.datatype.boolean() }),
  },
  {
    name: 'PullRequest',
    api: 'github',
    mutation: false,
    query:
      'query PullRequest($owner: String!, $name: String!, $number: Int!, $skipCommits: Boolean!) {\n  repository(owner: $owner, name: $name) {\n    pullRequest(number: $number) {\n      title\n      body\n      commits(last: 1) @skip(if: $skipCommits) {\n        nodes { commit { oid message statusCheckRollup { state } } }\n      }\n    }\n  }\n}',
    variables: (f) => ({ owner: owner(f), name: f.word.noun().toLowerCase(), number: f.number.int({ min: 1, max: 9000 }), skipCommits: f.datatype.boolean() }),
  },
  {
    name: 'CompareForks',
    api: 'github',
    mutation: false,
    query: 'query CompareForks {\n  upstream: repository(owner: "nodejs", name: "node") { ...RepoInfo }\n  fork: repository(owner: "octocat", name: "node") { ...RepoInfo }\n}\n\nfragment RepoInfo on Repository { stargazerCount forkCount updatedAt defaultBranchRef { name } }',
    variables: () => ({}),
  },
  {
    name: 'CreateIssue',
    api: 'github',
    mutation: true,
    query: 'mutation CreateIssue($repositoryId: ID!, $title: String!, $body: String) {\n  createIssue(input: {repositoryId: $repositoryId, title: $title, body: $body}) {\n    issue { number url }\n  }\n}',
    variables: (f, text) => ({ repositoryId: nodeId(f, 'R'), title: text.title(), body: text.comment() }),
  },
  {
    name: 'Products',
    api: 'shopify',
    mutation: false,
    query:
      'query Products($first: Int!, $query: String) {\n  products(first: $first, query: $query, sortKey: UPDATED_AT, reverse: true) {\n    edges {\n      cursor\n      node {\n        id\n        title\n        handle\n        status\n        variants(first: 5) { edges { node { id sku price inventoryQuantity } } }\n      }\n    }\n    pageInfo { hasNextPage }\n  }\n}',
    variables: (f) => ({ first: 25, query: f.helpers.arrayElement([`status:active AND vendor:'${f.company.name().replace(/'/g, '')}'`, 'created_at:>2025-01-01 AND product_type:Shirts', `title:${f.commerce.productName().split(' ')[0] ?? ''}* OR sku:ABC-*`, 'tag:sale -tag:clearance']) }),
  },
  {
    name: 'productUpdate',
    api: 'shopify',
    mutation: true,
    query: 'mutation productUpdate($input: ProductInput!) {\n  productUpdate(input: $input) {\n    product { id title descriptionHtml tags }\n    userErrors { field message }\n  }\n}',
    variables: (f, text) => ({ input: { id: gid(f, 'Product'), title: text.title(), descriptionHtml: `<p>${text.comment()}</p><ul><li>${f.commerce.productDescription()}</li></ul>`, tags: [f.commerce.department(), 'new'] } }),
  },
  {
    name: 'customerCreate',
    api: 'shopify',
    mutation: true,
    query: 'mutation customerCreate($input: CustomerInput!) {\n  customerCreate(input: $input) {\n    customer { id email firstName lastName note }\n    userErrors { field message }\n  }\n}',
    variables: (f, text) => {
      const address = text.address()
      return { input: { firstName: text.name().split(' ')[0], lastName: text.name().split(' ').slice(1).join(' ') || text.name(), email: f.internet.email(), note: text.comment(), addresses: [{ address1: address.street, city: address.city, zip: address.postalCode, country: address.country }] } }
    },
  },
  {
    name: 'Order',
    api: 'shopify',
    mutation: false,
    query: 'query Order($id: ID!) {\n  order(id: $id) {\n    name\n    createdAt\n    totalPriceSet { shopMoney { amount currencyCode } }\n    lineItems(first: 10) { nodes { title quantity } }\n    __typename\n  }\n}',
    variables: (f) => ({ id: gid(f, 'Order') }),
  },
  {
    name: 'inventoryAdjustQuantities',
    api: 'shopify',
    mutation: true,
    query: 'mutation inventoryAdjustQuantities($input: InventoryAdjustQuantitiesInput!) {\n  inventoryAdjustQuantities(input: $input) {\n    inventoryAdjustmentGroup { reason changes { name delta } }\n    userErrors { field message }\n  }\n}',
    variables: (f) => ({ input: { reason: 'correction', name: 'available', changes: [{ delta: f.number.int({ min: -5, max: 20 }), inventoryItemId: gid(f, 'InventoryItem'), locationId: gid(f, 'Location') }] } }),
  },
  {
    name: 'IntrospectionQuery',
    api: 'github',
    mutation: false,
    query: 'query IntrospectionQuery {\n  __schema {\n    queryType { name }\n    mutationType { name }\n    types { name kind description fields(includeDeprecated: true) { name args { name defaultValue } } }\n  }\n}',
    variables: () => ({}),
  },
]

const APIS = { github: { title: 'GitHub-like GraphQL (benign corpus)', path: '/graphql' }, shopify: { title: 'Shopify-like GraphQL (benign corpus)', path: '/admin/api/2024-10/graphql.json' } } as const

/** Adds `count` GraphQL requests, their free text from `texts`. */
export function graphqlRequests(builder: CorpusBuilder, texts: readonly TextSource[], random: Faker, count: number): void {
  for (const [api, { title, path }] of Object.entries(APIS)) builder.addApi(`graphql-${api}`, graphqlDocument(title, path))
  for (let attempt = 0, added = 0; added < count && attempt < count * 3; attempt++) {
    const operation = random.helpers.arrayElement(OPERATIONS)
    const text = random.helpers.arrayElement(texts)
    const variables = operation.variables(random, text)
    const query = random.datatype.boolean(0.3) ? minify(operation.query) : operation.query
    const api = `graphql-${operation.api}`
    const template = APIS[operation.api].path
    const headers = clientHeaders(random, { kind: random.datatype.boolean(0.6) ? 'browser' : 'sdk', language: text.tag, accept: random.helpers.arrayElement(['application/json', 'application/graphql-response+json, application/json;q=0.9', '*/*']) })
    const shape = random.number.int({ min: 0, max: 9 })
    const common = { class: 'graphql', source: `generated:graphql-${operation.api}`, api, template, headers }
    let ok: boolean
    if (!operation.mutation && shape < 2) {
      const pairs: [string, string][] = [['query', query], ['operationName', operation.name]]
      if (Object.keys(variables).length > 0) pairs.push(['variables', JSON.stringify(variables)])
      ok = builder.add({ ...common, placement: 'query', method: 'GET', operationId: 'graphqlQuery', query: queryString(pairs, random.datatype.boolean() ? 'form' : 'percent') })
    } else if (operation.mutation && shape === 9) {
      ok = builder.add({ ...common, placement: 'multipart', method: 'POST', operationId: 'graphql', ...upload(random, text, headers) })
    } else {
      const body: Record<string, unknown> = { operationName: operation.name, variables, query }
      if (shape === 8) body.extensions = { persistedQuery: { version: 1, sha256Hash: random.string.hexadecimal({ length: 64, casing: 'lower', prefix: '' }) } }
      headers.push(['content-type', 'application/json'])
      if (random.datatype.boolean(0.3)) headers.push(['apollographql-client-name', 'web'], ['apollographql-client-version', random.system.semver()])
      ok = builder.add({ ...common, placement: 'json', method: 'POST', operationId: 'graphql', body: JSON.stringify(body) })
    }
    if (ok) added++
  }
}

/** A file upload as graphql-multipart-request-spec clients (Apollo upload client) send it. */
function upload(random: Faker, text: TextSource, headers: [string, string][]): { body: string } {
  const operations = { query: 'mutation UploadAttachment($file: Upload!, $caption: String) {\n  uploadAttachment(file: $file, caption: $caption) { id url }\n}', variables: { file: null, caption: text.title() }, operationName: 'UploadAttachment' }
  const { body, contentType } = multipartBody(
    [
      { name: 'operations', value: JSON.stringify(operations) },
      { name: 'map', value: JSON.stringify({ 0: ['variables.file'] }) },
      { name: '0', value: `${text.comment()}\n`, filename: 'notes.txt', contentType: 'text/plain' },
    ],
    random.string.alphanumeric(16),
  )
  headers.push(['content-type', contentType], ['apollo-require-preflight', 'true'])
  return { body }
}

/** A query as some clients send it: one line, runs of white space collapsed. */
function minify(query: string): string {
  return query.replace(/\s+/g, ' ').replace(/\s*([{}():,])\s*/g, '$1').trim()
}
