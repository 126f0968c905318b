import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildUpstreamHeaders, type ForwardingInfo } from './request-headers.js'
import { buildClientResponseHeaders, clientFieldList } from './response-headers.js'

test('response fields named in Connection are removed, whether one or a list', () => {
  const single = buildClientResponseHeaders({ connection: 'X-Private', 'x-private': 'secret', 'content-type': 'text/plain' }, null, null)
  assert.deepEqual(single, { 'content-type': 'text/plain' })
  const list = buildClientResponseHeaders({ connection: 'close, X-A ,x-b', 'x-a': '1', 'x-b': '2', 'x-c': '3', 'keep-alive': 'timeout=5' }, null, null)
  assert.deepEqual(list, { 'x-c': '3' })
  const keepAlive = buildClientResponseHeaders({ connection: 'keep-alive', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', etag: '"1"' }, null, null)
  assert.deepEqual(keepAlive, { etag: '"1"' })
})

test('the raw field list for the client: lower-case names, duplicates kept, hop-by-hop and Connection-listed fields gone', () => {
  const raw = ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Connection', 'keep-alive, X-Private', 'X-Private', 'secret', 'Keep-Alive', 'timeout=5', 'set-cookie', 'b=2', 'Transfer-Encoding', 'chunked'].map((field, i) => (i % 4 === 0 ? Buffer.from(field, 'latin1') : field))
  assert.deepEqual(clientFieldList(raw, 'id-1'), ['content-type', 'text/plain', 'set-cookie', 'a=1', 'set-cookie', 'b=2', 'x-request-id', 'id-1'])
  assert.deepEqual(clientFieldList([Buffer.from('ETag'), Buffer.from('"1"'), Buffer.from('X-Request-Id'), Buffer.from('theirs'), Buffer.from('connection'), Buffer.from('close')], 'ours'), ['etag', '"1"', 'x-request-id', 'ours'])
})

test('response edits: removals, additions, and Vary appended to', () => {
  const out = buildClientResponseHeaders({ server: 'x/1', vary: 'accept' }, new Map([['vary', 'origin'], ['x-frame-options', 'DENY']]), new Set(['server']))
  assert.deepEqual(out, { vary: 'accept, origin', 'x-frame-options': 'DENY' })
})

test('the raw field list applies the same edits: a removed field goes, an added one replaces the upstream’s, Vary is appended to', () => {
  const raw = ['Server', 'x/1', 'Vary', 'accept', 'X-Frame-Options', 'SAMEORIGIN', 'Set-Cookie', 'a=1', 'Content-Length', '2']
  const added = new Map<string, string | readonly string[]>([['vary', 'origin'], ['x-frame-options', 'DENY'], ['ratelimit', '"default";r=9'], ['link', ['</a>; rel="a"', '</b>; rel="b"']]])
  assert.deepEqual(clientFieldList(raw, 'id-2', added, new Set(['server'])), [
    'vary', 'accept, origin',
    'set-cookie', 'a=1',
    'content-length', '2',
    'x-frame-options', 'DENY',
    'ratelimit', '"default";r=9',
    'link', '</a>; rel="a"',
    'link', '</b>; rel="b"',
    'x-request-id', 'id-2',
  ])
  // Repeated upstream Vary and Connection fields: both paths keep every Vary name and strip every listed field.
  const repeated = ['Vary', 'Accept-Encoding', 'Vary', 'Cookie', 'Connection', 'close', 'Connection', 'X-Private', 'X-Private', 'secret', 'ETag', '"1"']
  const listed = clientFieldList(repeated, 'id-4', new Map([['vary', 'X-API-Version']]), null)
  assert.deepEqual(listed, ['vary', 'Accept-Encoding, X-API-Version', 'vary', 'Cookie', 'etag', '"1"', 'x-request-id', 'id-4'])
  const object = buildClientResponseHeaders({ vary: ['Accept-Encoding', 'Cookie'], connection: ['close', 'X-Private'], 'x-private': 'secret', etag: '"1"' }, new Map([['vary', 'X-API-Version']]), null)
  assert.deepEqual(object, { vary: 'Accept-Encoding, Cookie, X-API-Version', etag: '"1"' })
  // No Vary upstream: the policy's is the field.
  assert.deepEqual(clientFieldList(['ETag', '"1"'], 'id-3', new Map([['vary', 'origin']]), null), ['etag', '"1"', 'vary', 'origin', 'x-request-id', 'id-3'])
})

test('the Forwarded element follows each request’s peer, protocol and host', () => {
  const info = (peerAddress: string, protocol: 'http' | 'https'): ForwardingInfo => ({ peerAddress, peerTrusted: false, protocol, requestId: 'r', upstreamHost: 'up', bodyLength: null, trace: null })
  const cases: [string, 'http' | 'https', string | undefined, string][] = [
    ['10.0.0.1', 'http', 'a.test', 'for=10.0.0.1;proto=http;host=a.test'],
    ['10.0.0.1', 'http', 'a.test', 'for=10.0.0.1;proto=http;host=a.test'],
    ['10.0.0.1', 'https', 'a.test', 'for=10.0.0.1;proto=https;host=a.test'],
    ['10.0.0.1', 'https', 'b.test:8443', 'for=10.0.0.1;proto=https;host="b.test:8443"'],
    ['::1', 'https', 'b.test:8443', 'for="[::1]";proto=https;host="b.test:8443"'],
    ['::1', 'https', undefined, 'for="[::1]";proto=https'],
    ['10.0.0.1', 'http', 'a.test', 'for=10.0.0.1;proto=http;host=a.test'],
  ]
  for (const [peer, protocol, host, expected] of cases) {
    const fields = buildUpstreamHeaders(host === undefined ? {} : { host }, info(peer, protocol), null)
    assert.equal(fields[fields.indexOf('forwarded') + 1], expected, `${peer} ${protocol} ${String(host)}`)
  }
})
