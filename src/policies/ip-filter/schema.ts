import { Type } from '@sinclair/typebox'

const Cidr = Type.String({ description: 'An IPv4 or IPv6 address or CIDR range, e.g. `10.0.0.0/8` or `2001:db8::/32`.' })

export const IpFilterConfig = Type.Object({
  allow: Type.Array(Cidr, {
    default: [],
    description: 'When not empty, only client addresses in these ranges are let through.',
  }),
  deny: Type.Array(Cidr, { default: [], description: 'Client addresses in these ranges are refused; deny wins over allow.' }),
})
