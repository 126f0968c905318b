/** The `inventory` policy's settings: sampling of bodies and the bounds of what is learned. */
import { Type, type Static } from '@sinclair/typebox'

export const InventoryConfig = Type.Object(
  {
    sampleRate: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.05,
      description: 'Fraction of requests to undocumented paths whose JSON bodies (request and response) are read for their shapes; 0 reads none.',
    }),
    maxBodyBytes: Type.Integer({
      minimum: 0,
      maximum: 1048576,
      default: 65536,
      description: 'A body is sampled only when its Content-Length is at most this (bodies of unknown length never are), so sampling never refuses a request or response.',
    }),
    maxNodes: Type.Integer({
      minimum: 16,
      maximum: 100000,
      default: 2000,
      description: 'Bound on the learned path trie of the API (each node a template prefix); paths that would need more are counted as dropped.',
    }),
    maxLiteralsPerSegment: Type.Integer({
      minimum: 2,
      maximum: 1000,
      default: 24,
      description: 'Distinct words one path position may take before it becomes a parameter (`/repos/torvalds`, `/repos/octocat`… → `/repos/{id}`).',
    }),
    maxDepth: Type.Integer({ minimum: 1, maximum: 64, default: 16, description: 'Segments of a path learned; deeper paths are dropped.' }),
    orphanAfterSec: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'A declared operation not called for this long is an orphan; 0: not called since the gateway started.',
    }),
  },
  { additionalProperties: false },
)

export type InventoryConfig = Static<typeof InventoryConfig>
