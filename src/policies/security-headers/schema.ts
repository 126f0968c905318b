import { Type } from '@sinclair/typebox'

export const SecurityHeadersConfig = Type.Object({
  hsts: Type.Object(
    {
      maxAgeSeconds: Type.Integer({ minimum: 0, default: 31536000, description: 'HSTS max-age; sent on TLS connections only (RFC 6797 §7.2).' }),
      includeSubDomains: Type.Boolean({ default: true, description: 'Add `includeSubDomains`.' }),
      preload: Type.Boolean({ default: false, description: 'Add `preload` (only once the domain is submitted to the preload list).' }),
    },
    { additionalProperties: false, default: {}, description: 'Strict-Transport-Security on HTTPS responses.' },
  ),
  frameOptions: Type.Union([Type.Literal('DENY'), Type.Literal('SAMEORIGIN'), Type.Literal('off')], {
    default: 'DENY',
    description: 'X-Frame-Options value, or `off`.',
  }),
  contentSecurityPolicy: Type.String({
    default: "default-src 'none'; frame-ancestors 'none'",
    description: 'Content-Security-Policy for API responses; the empty string sends none.',
  }),
  referrerPolicy: Type.String({ default: 'no-referrer', description: 'Referrer-Policy value; the empty string sends none.' }),
  removeHeaders: Type.Array(Type.String(), {
    default: ['server', 'x-powered-by', 'x-aspnet-version', 'x-aspnetmvc-version'],
    description: 'Upstream response headers that reveal internals and are removed.',
  }),
})
