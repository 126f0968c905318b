/**
 * How a request names one of the versions that share an API's hosts and base path: the value of
 * a header (`X-API-Version: 2`), a media-type parameter in `Accept` (`application/json;
 * version=2`), or a vendor media type in `Accept` (`application/vnd.example.v2+json`). Labels are
 * compared without regard to ASCII case. Built once per config load; a header selector reads one
 * field and does one map look-up, an `Accept` selector parses the field once.
 */
import type { ErrorCode } from '../errors.js'
import { versionsNamedInAccept } from './accept-versions.js'

export type SelectorSpec =
  | { readonly kind: 'header'; readonly header: string }
  | { readonly kind: 'media-type'; readonly parameter: string }
  | { readonly kind: 'vendor'; readonly vendorType: string }

/** The request names no version. */
export const NO_VERSION: unique symbol = Symbol('no version')
/** The request names versions, none of them known (or a header lists several). */
export const UNKNOWN_VERSION: unique symbol = Symbol('unknown version')

export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>

/** Why a request cannot be routed to a version, as the problem answer says it. */
export interface VersionRefusal {
  readonly code: ErrorCode
  readonly detail: string
  /** The versions a client may name. */
  readonly versions: readonly string[]
  /** For the answer's `Vary`. */
  readonly vary: string
}

export interface VersionSelector {
  readonly spec: SelectorSpec
  /** The request field the choice depends on, for `Vary` (RFC 9110 §12.5.5). */
  readonly vary: string
  /** How a client names `label`, for messages and docs: `X-API-Version: 2`, `Accept: application/json; version=2`. */
  example(label: string): string
  /** The version the request names among `versions` (by lower-case label), or why there is none. */
  choose<T>(headers: RequestHeaders, versions: ReadonlyMap<string, T>): T | typeof NO_VERSION | typeof UNKNOWN_VERSION
  /**
   * Why a request that names no version where one is required, or an unknown one, is refused:
   * `GW_ERR_API_VERSION_REQUIRED`, `…_UNKNOWN` (a header, 400), or `…_NOT_ACCEPTABLE` for an
   * `Accept` that names no known version (406, RFC 9110 §15.5.7); `versions` are listed.
   */
  refusal(reason: 'required' | 'unknown', versions: readonly string[]): VersionRefusal
}

export function createVersionSelector(spec: SelectorSpec): VersionSelector {
  const vary = spec.kind === 'header' ? spec.header : 'Accept'
  const field = vary.toLowerCase()
  const example = (label: string): string => {
    switch (spec.kind) {
      case 'header':
        return `${spec.header}: ${label}`
      case 'media-type':
        return `Accept: application/json; ${spec.parameter}=${label}`
      case 'vendor':
        return `Accept: ${spec.vendorType.replace('{version}', label)}`
    }
  }
  const vendor = spec.kind === 'vendor' ? splitVendorType(spec.vendorType) : null
  const parameter = spec.kind === 'media-type' ? spec.parameter.toLowerCase() : null

  return {
    spec,
    vary,
    example,
    choose(headers, versions) {
      const raw = headers[field]
      if (raw === undefined) return NO_VERSION
      const value = typeof raw === 'string' ? raw : raw.join(', ')
      if (spec.kind === 'header') {
        const label = value.trim()
        if (label === '') return NO_VERSION
        // A list (`2, 3`, or the field sent twice) names no one version.
        if (label.includes(',')) return UNKNOWN_VERSION
        return versions.get(label.toLowerCase()) ?? UNKNOWN_VERSION
      }
      const named = versionsNamedInAccept(value, parameter, vendor)
      if (named.length === 0) return NO_VERSION
      for (const label of named) {
        const found = versions.get(label.toLowerCase())
        if (found !== undefined) return found
      }
      return UNKNOWN_VERSION
    },
    refusal(reason, versions) {
      const code: ErrorCode = reason === 'required' ? 'GW_ERR_API_VERSION_REQUIRED' : spec.kind === 'header' ? 'GW_ERR_API_VERSION_UNKNOWN' : 'GW_ERR_API_VERSION_NOT_ACCEPTABLE'
      const where = spec.kind === 'header' ? `the ${spec.header} header` : 'Accept'
      const detail = reason === 'required' ? `name a version in ${where}, e.g. ${example(versions[0] ?? '1')}` : `${where} names no version of this API`
      return { code, detail, versions, vary }
    },
  }
}

/** `application/vnd.example.v{version}+json` → the lower-case text before and after `{version}`. */
function splitVendorType(template: string): { prefix: string; suffix: string } {
  const at = template.indexOf('{version}')
  return { prefix: template.slice(0, at).toLowerCase(), suffix: template.slice(at + '{version}'.length).toLowerCase() }
}
