import { Type } from '@sinclair/typebox'

export const CorsConfig = Type.Object({
  origins: Type.Array(Type.String(), {
    minItems: 1,
    description:
      'Allowed origins, exactly as browsers send them (`https://app.example.com`), `https://*.example.com` for any subdomain, or `*` for any origin (not with credentials).',
  }),
  methods: Type.Array(Type.String({ pattern: '^[A-Z]+$' }), {
    default: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    description: 'Methods a preflight may ask for.',
  }),
  allowHeaders: Type.Array(Type.String(), {
    default: ['authorization', 'content-type'],
    description: 'Request headers a preflight may ask for (case-insensitive).',
  }),
  exposeHeaders: Type.Array(Type.String(), { default: [], description: 'Response headers scripts may read.' }),
  credentials: Type.Boolean({ default: false, description: 'Allow cookies and HTTP authentication on cross-origin requests.' }),
  maxAgeSeconds: Type.Integer({ minimum: 0, maximum: 86400, default: 600, description: 'How long browsers may cache a preflight answer.' }),
  rejectDisallowedOrigins: Type.Boolean({
    default: true,
    description:
      'Refuse (403) non-preflight requests whose `Origin` is neither allowed nor the gateway\'s own origin, instead of only withholding CORS headers.',
  }),
})
