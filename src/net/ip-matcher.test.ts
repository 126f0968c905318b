/**
 * The matcher compares bytes against precomputed ranges, with a fast path for plain dotted quads:
 * it must agree with ipaddr.js's own `match` on every form of address, random and odd ones alike.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import ipaddr from 'ipaddr.js'
import { seededRandom } from '../../test/helpers/seeded-random.js'
import { createIpMatcher, parseAddress, parseCidr } from './ip-matcher.js'

/** What the matcher did before: ipaddr.js parses both sides and matches ranges of its kind. */
function referenceMatcher(cidrs: readonly string[]): (text: string) => boolean {
  const ranges = cidrs.map((cidr) => parseCidr(cidr) as [ipaddr.IPv4 | ipaddr.IPv6, number])
  return (text) => {
    const address = parseAddress(text)
    if (address === null) return false
    return ranges.some((range) => range[0].kind() === address.kind() && address.match(range))
  }
}

test('known addresses against mixed IPv4 and IPv6 ranges', () => {
  const matches = createIpMatcher(['127.0.0.1', '10.0.0.0/8', '192.168.1.128/25', '::1', '2001:db8::/32'])
  for (const yes of ['127.0.0.1', '10.255.0.3', '192.168.1.200', '::1', '2001:db8:1::5', '::ffff:10.1.2.3']) assert.equal(matches(yes), true, yes)
  for (const no of ['127.0.0.2', '11.0.0.1', '192.168.1.127', '::2', '2001:db9::1', 'not an address', '', '256.1.1.1', '1.2.3']) assert.equal(matches(no), false, no)
  // A leading zero is octal to the general parser: 010.0.0.1 is 8.0.0.1, not 10.0.0.1.
  assert.equal(matches('010.0.0.1'), false)
  assert.equal(createIpMatcher(['8.0.0.0/8'])('010.0.0.1'), true)
  assert.equal(createIpMatcher([])('127.0.0.1'), false)
  // Every IPv4 address is in 0.0.0.0/0; an octet past 255 makes the text no address at all.
  assert.equal(createIpMatcher(['0.0.0.0/0'])('256.1.1.1'), false)
  assert.equal(createIpMatcher(['0.0.0.0/0'])('255.1.1.1'), true)
})

test('random addresses and ranges agree with ipaddr.js', () => {
  const random = seededRandom(20261206)
  const v4 = () => Array.from({ length: 4 }, () => String(random(4) === 0 ? random(3) : random(256))).join('.')
  const v6 = () => Array.from({ length: 8 }, () => (random(3) === 0 ? '0' : random(0x10000).toString(16))).join(':')
  const odd = ['0x7f.0.0.1', '127.1', '2130706433', '01.02.03.04', '::ffff:127.0.0.1', '1.2.3.4.5', '1..2.3', ' 1.2.3.4', '300.1.1.1']
  let agreed = 0
  for (let round = 0; round < 200; round++) {
    const cidrs = Array.from({ length: 1 + random(4) }, () => (random(2) === 0 ? `${v4()}/${random(33)}` : `${v6()}/${random(129)}`))
    const ours = createIpMatcher(cidrs)
    const reference = referenceMatcher(cidrs)
    const addresses = [...odd, ...Array.from({ length: 20 }, () => (random(3) === 0 ? v6() : v4()))]
    // Addresses inside the ranges too, not only random ones (which rarely fall in a narrow prefix).
    for (const cidr of cidrs) addresses.push(cidr.slice(0, cidr.indexOf('/')))
    for (const address of addresses) {
      assert.equal(ours(address), reference(address), `${address} against ${cidrs.join(', ')}`)
      agreed++
    }
  }
  assert.ok(agreed > 5000)
})
