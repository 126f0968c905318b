/**
 * What the portal says about an API version as the gateway serves it: its state and dates from
 * the config's `lifecycle` (a banner on the version's pages, a badge in the index), and how a
 * request selects it when versions share a path (`versioning`). Pure: facts in, HTML out.
 */
import { versioningOf } from '../config/api-versions.js'
import type { GatewayConfig } from '../config/schema.js'
import { createVersionSelector } from '../router/version-selector.js'
import { code, esc, html } from './html.js'

type ApiConfig = GatewayConfig['apis'][number]

/** How a request names this version, when versions share its path. */
export interface VersionSelection {
  /** The request field: a header's name, or `Accept`. */
  readonly field: string
  /** What to send in it: `2`, `application/json; version=2`. */
  readonly value: string
  /** The version a request that names none is routed to; null when naming one is required. */
  readonly defaultLabel: string | null
  readonly isDefault: boolean
}

export interface VersionLifecycle {
  readonly state: 'draft' | 'published' | 'deprecated' | 'retired'
  readonly deprecatedAt: string | null
  /** The deprecation date is still ahead (at build time). */
  readonly deprecationAhead: boolean
  readonly sunsetAt: string | null
  readonly sunsetPassed: boolean
  readonly successor: string | null
  readonly migrationGuide: string | null
  readonly brownouts: readonly { readonly start: string; readonly end: string }[]
  readonly selection: VersionSelection | null
}

export function versionLifecycleOf(config: GatewayConfig, api: ApiConfig, nowMs: number): VersionLifecycle {
  const { state, deprecatedAt, sunsetAt, successor, migrationGuide, brownouts } = api.lifecycle
  const versioning = versioningOf(config.apis, config.apis.indexOf(api))
  let selection: VersionSelection | null = null
  if (versioning !== null) {
    const example = createVersionSelector(versioning.spec).example(versioning.label)
    const colon = example.indexOf(': ')
    selection = { field: example.slice(0, colon), value: example.slice(colon + 2), defaultLabel: versioning.defaultLabel, isDefault: versioning.isDefault }
  }
  return {
    state,
    deprecatedAt: deprecatedAt ?? null,
    deprecationAhead: deprecatedAt !== undefined && Date.parse(deprecatedAt) > nowMs,
    sunsetAt: sunsetAt ?? null,
    sunsetPassed: sunsetAt !== undefined && Date.parse(sunsetAt) <= nowMs,
    successor: successor ?? null,
    migrationGuide: migrationGuide ?? null,
    brownouts: brownouts.filter((w) => Date.parse(w.end) > nowMs),
    selection,
  }
}

/** Whether the gateway answers this version's requests with `Deprecation` (and `Sunset`) headers, as the lifecycle hooks decide. */
export function isDeprecated(lifecycle: VersionLifecycle): boolean {
  return lifecycle.state === 'deprecated' || lifecycle.state === 'retired' || lifecycle.deprecatedAt !== null || lifecycle.sunsetAt !== null
}

/**
 * The banner at the top of each page of the version ('' for a published version with nothing
 * scheduled). `successorHref` links the successor's pages in this site when it is one of its
 * versions; other URLs are shown as text (the site links nothing outside itself).
 */
export function renderLifecycleBanner(lifecycle: VersionLifecycle, successorHref: string | null): string {
  const { state } = lifecycle
  const successor =
    lifecycle.successor === null ? null : successorHref === null ? code(lifecycle.successor) : `<a href="${esc(successorHref)}" data-fact="successor">${code(lifecycle.successor)}</a>`
  const parts: (string | false | null)[] = []
  if (state === 'draft') {
    parts.push('<strong>Draft.</strong> A preview of this version: the gateway serves it only to the consumers invited to try it, and it may change before it is published.')
  } else if (state === 'retired' || lifecycle.sunsetPassed) {
    parts.push(`<strong>Retired.</strong> This version is no longer served${lifecycle.sunsetAt === null ? '' : ` since <strong data-fact="sunset">${esc(lifecycle.sunsetAt)}</strong>`}: the gateway answers its requests with ${code('410 Gone')}.`)
  } else if (isDeprecated(lifecycle)) {
    const since = lifecycle.deprecatedAt === null ? '' : lifecycle.deprecationAhead ? ` from <strong data-fact="deprecated-at">${esc(lifecycle.deprecatedAt)}</strong>` : ` since <strong data-fact="deprecated-at">${esc(lifecycle.deprecatedAt)}</strong>`
    parts.push(`<strong>Deprecated.</strong> This version is deprecated${since}; its responses carry ${code('Deprecation')}${lifecycle.sunsetAt === null ? '' : ` and ${code('Sunset')}`} headers.`)
    if (lifecycle.sunsetAt !== null) parts.push(` It will no longer be served from <strong data-fact="sunset">${esc(lifecycle.sunsetAt)}</strong> (its sunset): requests will then get ${code('410 Gone')}.`)
    if (lifecycle.brownouts.length > 0) {
      parts.push(` Before that, it answers ${code('410')} during these brownouts: ${lifecycle.brownouts.map((w) => `${esc(w.start)} – ${esc(w.end)}`).join('; ')}.`)
    }
  } else return ''
  if (state !== 'draft') {
    parts.push(successor !== null && ` Move to ${successor}.`)
    parts.push(lifecycle.migrationGuide !== null && ` Migration guide: ${code(lifecycle.migrationGuide)}.`)
  }
  const kind = state === 'draft' ? 'draft' : state === 'retired' || lifecycle.sunsetPassed ? 'retired' : 'deprecated'
  return `<div class="banner ${kind}" role="note" id="lifecycle" data-state="${kind}">${html(parts)}</div>`
}

/** A short badge for the index: the state with its sunset, '' for a published version. */
export function lifecycleBadge(lifecycle: VersionLifecycle): string {
  if (lifecycle.state === 'draft') return '<span class="badge draft">draft</span>'
  if (lifecycle.state === 'retired' || lifecycle.sunsetPassed) return '<span class="badge retired">retired</span>'
  if (!isDeprecated(lifecycle)) return ''
  return `<span class="badge deprecated">deprecated${lifecycle.sunsetAt === null ? '' : `, sunset ${esc(lifecycle.sunsetAt)}`}</span>`
}

/** How a request selects the version ('' when its base path alone does). */
export function renderSelection(selection: VersionSelection | null): string {
  if (selection === null) return ''
  const send = code(`${selection.field}: ${selection.value}`)
  const fallback =
    selection.defaultLabel === null
      ? 'Every request must name a version (400 otherwise).'
      : selection.isDefault
        ? 'It is also the version served to requests that name none.'
        : `Requests that name no version get version ${code(selection.defaultLabel)}.`
  return `<p data-fact="selection">Several versions share this path: select this one with ${send}. ${fallback}</p>`
}
