/**
 * `buildPortalSite`: the developer portal as a map of file paths to contents, from a loaded
 * config. For each API (grouped with its other versions) and version: an overview, a page per
 * operation with what the gateway enforces on it, the full reference rendered by the bundled
 * renderer, the document itself; for each API with several versions a changelog; one page of
 * every error code; the search index. Writing it out or serving it is the caller's business.
 */
import { changesBetweenFiles } from '../lifecycle/diff/changes-between-files.js'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { LoadedConfig } from '../config/load-config.js'
import type { ResolvedRoute } from '../config/resolve-routes.js'
import type { GatewayConfig } from '../config/schema.js'
import type { OperationEntry } from '../openapi/list-operations.js'
import type { ChangelogSource } from './changelog.js'
import type { PortalConfig } from './portal-schema.js'
import { readSite } from './site-files.js'
import { readDocumentView, type DocumentView } from './document-view.js'
import { buildOperationFacts } from './operation-facts.js'
import { renderErrorsPage, renderIndexPage, renderReferencePage, renderVersionPage, renderChangelogPage, type FamilyEntry, type OperationLink, type VersionEntry } from './render-pages.js'
import { renderOperationBody } from './render-operation.js'
import { renderPage } from './html.js'
import { FAVICON_SVG, PORTAL_CSS, PORTAL_JS, REFERENCE_CSS, REFERENCE_JS } from './site-assets.js'
import { isSitePath, REFERENCE_PAGE } from './site-policy.js'
import { mountPath } from '../config/api-versions.js'
import { lifecycleBadge, renderLifecycleBanner, versionLifecycleOf, type VersionLifecycle } from './version-lifecycle.js'

type ApiConfig = GatewayConfig['apis'][number]

export interface PortalBuildOptions {
  readonly title: string
  readonly gettingAccess: string | null
  /** Compares two versions' documents; null renders "no changelog". */
  readonly changelog: ChangelogSource | null
  /** Build time: quota windows in the RateLimit-Policy examples are the current ones, and the lifecycle's dates are told as past or ahead. */
  readonly nowMs: number
  /** Publish draft versions too (each with its draft banner); by default they are left out of the site. */
  readonly includeDrafts: boolean
}

/** The site: path (relative, `/`-separated) → content. */
export type PortalSite = Map<string, Buffer>

/** Scalar's standalone bundle, from its npm package. */
export function readRendererBundle(): { script: Buffer; notice: string } {
  const require = createRequire(import.meta.url)
  const file = require.resolve('@scalar/api-reference/browser/standalone.js')
  // The package exports only the bundle: its package.json is two folders up (dist/browser/).
  const manifest = JSON.parse(readFileSync(join(dirname(file), '..', '..', 'package.json'), 'utf8')) as { name?: string; version?: string; license?: string }
  const notice = `assets/scalar/standalone.js is the standalone bundle of the npm package ${manifest.name ?? '@scalar/api-reference'} ${manifest.version ?? ''}, licensed ${manifest.license ?? 'MIT'} by Scalar.\n`
  return { script: readFileSync(file), notice }
}

/** The site the gateway serves: the one built into `portal.dir`, or one built now from the config. */
export function portalSiteFor(loaded: LoadedConfig, portal: PortalConfig, nowMs: number): PortalSite {
  if (portal.dir !== undefined) return readSite(portal.dir, portal.maxSiteBytes)
  return buildPortalSite(loaded, { title: portal.title, gettingAccess: portal.gettingAccess ?? null, changelog: changesBetweenFiles, nowMs, includeDrafts: portal.includeDrafts })
}

/** APIs named `orders-v1` with `version: v1` belong with `orders` (the family is the name without its version). */
export function familyOf(api: Pick<ApiConfig, 'name' | 'version'>): string {
  const version = api.version
  if (version === undefined) return api.name
  for (const separator of ['-', '_', '.']) {
    const suffix = `${separator}${version}`
    if (api.name.endsWith(suffix) && api.name.length > suffix.length) return api.name.slice(0, -suffix.length)
  }
  return api.name
}

function slug(text: string): string {
  const s = text
    .replace(/[{}]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 80)
  return s === '' ? 'x' : s
}

function publicPath(basePath: string, template: string): string {
  const base = basePath.replace(/\/+$/, '')
  return `${base}${template.startsWith('/') ? template : `/${template}`}` || '/'
}

interface VersionBuild {
  readonly api: ApiConfig
  readonly index: number
  readonly label: string
  readonly dir: string
  readonly view: DocumentView | null
  readonly lifecycle: VersionLifecycle
}

export function buildPortalSite(loaded: LoadedConfig, options: PortalBuildOptions): PortalSite {
  const { config } = loaded
  const site: PortalSite = new Map()
  const put = (path: string, content: string | Buffer) => {
    if (!isSitePath(path)) throw new Error(`portal: refusing to write ${path}`)
    site.set(path, typeof content === 'string' ? Buffer.from(content) : content)
  }
  const page = (path: string, title: string, body: string, extra: { scripts?: string[]; search?: boolean; wide?: boolean } = {}) => put(path, renderPage({ path, title, siteTitle: options.title, body, ...extra }))

  const families = new Map<string, VersionBuild[]>()
  config.apis.forEach((api, index) => {
    const lifecycle = versionLifecycleOf(config, api, options.nowMs)
    if (lifecycle.state === 'draft' && !options.includeDrafts) return
    const family = familyOf(api)
    const view = api.openapi === undefined ? null : readDocumentView(api.openapi)
    const label = api.version ?? view?.version ?? 'current'
    const list = families.get(family) ?? []
    list.push({ api, index, label, dir: `apis/${slug(family)}/${slug(label)}`, view, lifecycle })
    families.set(family, list)
  })
  const builds = [...families.values()].flat()
  /** The successor's folder when it names the path of exactly one other version in this site. */
  const successorDirOf = (version: VersionBuild): string | null => {
    const successor = version.lifecycle.successor
    if (successor?.startsWith('/') !== true) return null
    const path = mountPath(successor.replace(/[?#].*$/, ''))
    const matches = builds.filter((b) => b !== version && mountPath(b.api.basePath) === path)
    return matches.length === 1 ? (matches[0] as VersionBuild).dir : null
  }

  const search: { method: string; path: string; title: string; api: string; url: string; text: string }[] = []
  const familyEntries: FamilyEntry[] = []
  for (const [family, unsorted] of families) {
    const versions = [...unsorted].sort((a, b) => a.label.localeCompare(b.label, 'en', { numeric: true }))
    const versionEntries: VersionEntry[] = []
    for (const version of versions) {
      const links = buildVersion(version, loaded.routes[version.index] ?? null)
      versionEntries.push({
        label: version.label,
        href: `${version.dir}/index.html`,
        title: version.view?.title ?? version.api.name,
        operations: links.length,
        deprecated: links.filter((l) => l.deprecated).length,
        badge: lifecycleBadge(version.lifecycle),
      })
    }
    const changelogPath = `apis/${slug(family)}/changelog.html`
    if (versions.length > 1) {
      page(changelogPath, `${family} changelog`, renderChangelogPage(family, versions.map((v) => ({ label: v.label, document: v.api.openapi ?? null })), options.changelog))
    }
    familyEntries.push({ name: family, versions: versionEntries, changelogHref: versions.length > 1 ? changelogPath : null })
  }

  function buildVersion(version: VersionBuild, routes: readonly ResolvedRoute[] | null): OperationLink[] {
    const { api, view, dir } = version
    const apiTitle = `${view?.title ?? api.name} ${version.label}`
    const successorDir = successorDirOf(version)
    // Version pages are at apis/<family>/<label>/, operation pages one folder deeper.
    const banner = (root: string) => renderLifecycleBanner(version.lifecycle, successorDir === null ? null : `${root}${successorDir}/index.html`)
    const links: OperationLink[] = []
    const used = new Set<string>()
    for (const route of routes ?? []) {
      const entry: OperationEntry = route
      let name = slug(route.operationId ?? `${route.method}-${route.template}`)
      for (let n = 2; used.has(name); n++) name = `${slug(route.operationId ?? `${route.method}-${route.template}`)}-${n}`
      used.add(name)
      const path = `${dir}/operations/${name}.html`
      const opView = view === null || !view.hasOperation(entry) ? emptyView(entry) : view.operation(entry)
      const hints = {
        requiredHeaders: opView.parameters.filter((p) => p.in === 'header' && p.required).map((p) => p.name),
        bodyMediaTypes: opView.requestBody?.content.map((m) => m.mediaType) ?? [],
      }
      const facts = buildOperationFacts(config, api, route, hints, options.nowMs)
      const clientPath = publicPath(api.basePath, route.template)
      page(
        path,
        `${route.method} ${clientPath}`,
        renderOperationBody({
          view: opView,
          facts,
          publicPath: clientPath,
          apiTitle,
          gettingAccess: options.gettingAccess,
          errorsHref: '../../../../errors.html',
          referenceHref: `../${REFERENCE_PAGE}`,
          versionHref: '../index.html',
          versionBanner: banner('../../../../'),
        }),
      )
      const title = opView.summary ?? route.operationId ?? `${route.method} ${route.template}`
      links.push({ method: route.method, path: clientPath, title, href: `operations/${name}.html`, deprecated: route.deprecated || opView.sunset !== null, sunset: opView.sunset })
      search.push({ method: route.method, path: clientPath, title, api: apiTitle, url: path, text: [route.method, clientPath, route.operationId ?? '', title, ...route.tags, apiTitle].join(' ').toLowerCase() })
    }
    const apiFacts = buildOperationFacts(config, api, null, { requiredHeaders: [], bodyMediaTypes: [] }, options.nowMs)
    page(`${dir}/index.html`, apiTitle, renderVersionPage({ api, label: version.label, view, operations: links, facts: apiFacts, hasReference: view !== null, catchAll: routes === null, banner: banner('../../../') }))
    if (view !== null) {
      put(`${dir}/openapi.json`, publishedDocument(view.json, api.basePath))
      page(`${dir}/${REFERENCE_PAGE}`, `${apiTitle} reference`, renderReferencePage(apiTitle), { scripts: ['assets/scalar/standalone.js', 'assets/reference.js'], search: false, wide: true })
    }
    return links
  }

  page('index.html', options.title, renderIndexPage(options.title, familyEntries))
  page('errors.html', 'Errors', renderErrorsPage())
  put('assets/portal.css', PORTAL_CSS)
  put('assets/portal.js', PORTAL_JS)
  put('assets/reference.js', REFERENCE_JS)
  put('assets/reference.css', REFERENCE_CSS)
  put('assets/search-index.js', `window.PORTCULLIS_SEARCH = ${scriptSafeJson(search)};\n`)
  const renderer = readRendererBundle()
  put('assets/scalar/standalone.js', renderer.script)
  put('assets/scalar/NOTICE.txt', renderer.notice)
  put('assets/favicon.svg', FAVICON_SVG)
  return site
}

/**
 * The document as clients should read it: its `servers` are the gateway's base path (relative to
 * the portal's origin), never the upstream addresses a document written for the backend names.
 */
function publishedDocument(json: string, basePath: string): string {
  const document = JSON.parse(json) as Record<string, unknown>
  document.servers = [{ url: basePath, description: 'through the gateway' }]
  return JSON.stringify(document)
}

/** JSON inside a script file: `<` escaped so no `</script>` can appear, and the two JS line terminators. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

function emptyView(entry: OperationEntry) {
  return { entry, summary: null, description: null, parameters: [], requestBody: null, responses: [], sunset: null }
}
