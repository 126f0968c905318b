/** The problem answer to a request the versions at its path cannot serve (router/version-selector.ts). */
import { respond, type Reply } from '../pipeline/reply.js'
import type { VersionRefusal } from '../router/version-selector.js'

/** `withVary` false when the request's context adds `Vary` itself (a draft's hooks answering for it). */
export function versionRefusalReply(refusal: VersionRefusal, withVary: boolean): Reply {
  return respond.problem(refusal.code, { detail: refusal.detail, extensions: { versions: refusal.versions }, ...(withVary ? { headers: { vary: refusal.vary } } : {}) })
}
