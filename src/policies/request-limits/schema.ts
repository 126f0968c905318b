import { Type } from '@sinclair/typebox'

export const RequestLimitsConfig = Type.Object({
  maxUrlLength: Type.Integer({ minimum: 1, default: 4096, description: 'Longest request target (path and query) in bytes; longer gets 414.' }),
  maxHeaderCount: Type.Integer({ minimum: 1, default: 100, description: 'Most request header fields; more gets 431.' }),
  maxHeaderBytes: Type.Integer({ minimum: 1, default: 8192, description: 'Largest total size of request header names and values; larger gets 431.' }),
  maxBodyBytes: Type.Integer({ minimum: 0, default: 1048576, description: 'Largest request body, streamed or buffered; larger gets 413.' }),
})
