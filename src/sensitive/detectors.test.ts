import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DETECTORS, maskDetected, type DetectorName } from './detectors.js'

const mask = (name: DetectorName, text: string) => maskDetected(text, [DETECTORS[name]], (d) => `[${d.name}]`)

test('detectors mask true positives and leave look-alikes alone', () => {
  assert.equal(mask('pan', 'card 4111 1111 1111 1111 ok'), 'card [pan] ok')
  assert.equal(mask('pan', '4012-8888-8888-1881'), '[pan]')
  assert.equal(mask('pan', 'order 4111111111111112'), 'order 4111111111111112', 'fails Luhn')
  for (const card of ['378282246310005', '5555555555554444', '2223003122003222', '6011111111111117', '3530111333300000', '30569309025904', '6200000000000005']) assert.equal(mask('pan', `pay ${card}`), 'pay [pan]', card)
  // Luhn passes one number in ten: a millisecond timestamp, or a 16-digit id starting with 9, is no card.
  assert.equal(mask('pan', '{"createdAt":1764470000001}'), '{"createdAt":1764470000001}', 'a timestamp passing Luhn')
  assert.equal(mask('pan', 'id 9111111111111110'), 'id 9111111111111110', 'no network issues 9')
  assert.equal(mask('ssn', 'ssn 078-05-1120'), 'ssn [ssn]')
  assert.equal(mask('ssn', '000-12-3456 and 123-00-4567'), '000-12-3456 and 123-00-4567')
  assert.equal(mask('iban', 'IBAN GB82 WEST 1234 5698 7654 32.'), 'IBAN [iban].')
  assert.equal(mask('iban', 'DE89370400440532013000'), '[iban]')
  assert.equal(mask('iban', 'GB82WEST12345698765433'), 'GB82WEST12345698765433', 'fails mod 97')
  assert.equal(mask('email', 'mail ann.lee+x@mail.example.org now'), 'mail [email] now')
  assert.equal(mask('email', 'user@localhost'), 'user@localhost')
  assert.equal(mask('phone', 'call +33 6 12 34 56 78 or (555) 123-4567'), 'call [phone] or [phone]')
  assert.equal(mask('phone', 'on 2026-11-29 at 10:30'), 'on 2026-11-29 at 10:30', 'dates are not phone numbers')
  const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlX2hlcmVfMTIz'
  assert.equal(mask('jwt', `Bearer ${jwt}`), 'Bearer [jwt]')
  assert.equal(mask('apiKey', 'key sk_live_4eC39HqLyjWDarjtT1zdp7dc and AKIAIOSFODNN7EXAMPLE'), 'key [apiKey] and [apiKey]')
  assert.equal(mask('apiKey', 'skill_level_advanced'), 'skill_level_advanced')
  assert.equal(mask('privateKey', 'x -----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY----- y'), 'x [privateKey] y')
  assert.equal(DETECTORS.pan.partial('4111 1111 1111 1111'), '**** **** **** 1111')
  assert.equal(DETECTORS.email.partial('ann@example.org'), 'a***@example.org')
  assert.equal(DETECTORS.iban.partial('GB82 WEST 1234 5698 7654 32'), 'GB****************5432')
})
