/** The `detection` policy's per-API settings; thresholds and responses are in the top-level `detection` section. */
import { Type, type Static } from '@sinclair/typebox'

export const DetectionPolicyConfig = Type.Object(
  {
    loginOperations: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'The API’s log-in operations, by operationId or `METHOD /template`: their 401 and 403 answers count as failed log-ins, and the user name in their body (JSON or form: username, login, email…) is counted, hashed. Default: POST operations whose path or operationId reads as a log-in, token, password or OTP operation.',
      }),
    ),
  },
  { additionalProperties: false },
)

export type DetectionPolicyConfig = Static<typeof DetectionPolicyConfig>
