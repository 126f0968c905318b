/**
 * `inventory`: learns the API's endpoints from its traffic and classifies its operations (active,
 * shadow, zombie, orphan) — docs/inventory.md. Every request costs one record after the response
 * (`onLog`, `onUnrouted`); bodies are read only for a sampled fraction of requests to undocumented
 * paths, only JSON, only of a known length within `maxBodyBytes`, and only their shapes are kept.
 */
import type { RequestContext } from '../../pipeline/context.js'
import { definePolicy } from '../../pipeline/define-policy.js'
import { isJsonMediaType } from '../../net/media-type.js'
import type { InventoryLimits } from './api-inventory.js'
import { InventoryService } from './inventory-service.js'
import { recordableMediaType, type OperationStats } from './operation-stats.js'
import { InventoryConfig } from './schema.js'

/** What the policy notes on a request of an undocumented path. */
interface InventorySample {
  readonly stats: OperationStats | null
  readonly sampled: boolean
}

declare module '../../pipeline/context.js' {
  interface RequestState {
    inventory?: InventorySample
  }
}

const SHAPE_LIMITS = { maxDepth: 8, maxProperties: 64, maxNodes: 256 }
const MAX_METHODS = 16

export const inventory = definePolicy({
  name: 'inventory',
  priority: 300,
  description: 'Learns the API’s endpoints from traffic (templates, methods, statuses, parameters, body shapes) and classifies its operations as active, shadow, zombie or orphan.',
  configSchema: InventoryConfig,
  service: (_sections, deps) => new InventoryService(deps.clock),
  create(config, deps) {
    const limits: InventoryLimits = {
      maxNodes: config.maxNodes,
      maxLiteralsPerSegment: config.maxLiteralsPerSegment,
      maxDepth: config.maxDepth,
      maxMethods: MAX_METHODS,
      // As many learned operations as template prefixes, and 16 shape nodes per prefix for all the API's bodies (32,000 by default: a few MB).
      maxOperations: config.maxNodes,
      maxShapeNodes: config.maxNodes * 16,
      shapes: SHAPE_LIMITS,
    }
    const api = deps.service.forApi(deps.api, {
      basePath: deps.basePath,
      hasRoutes: deps.operations.size > 0,
      operations: deps.operations,
      limits,
      orphanAfterMs: config.orphanAfterSec * 1000,
    })
    const basePath = deps.basePath.length > 1 && deps.basePath.endsWith('/') ? deps.basePath.slice(0, -1) : deps.basePath
    const { clock } = deps
    const { sampleRate, maxBodyBytes } = config

    /** The request's learned statistics and whether its bodies are sampled, decided once per request (catch-all routes only). */
    const sampleOf = (ctx: RequestContext): InventorySample | undefined => {
      if (ctx.route.template !== '*') return undefined
      let sample = ctx.state.inventory
      if (sample === undefined) {
        const relative = basePath === '/' ? ctx.path : ctx.path.slice(basePath.length) || '/'
        const stats = api.learnedStats(ctx.method, relative)
        sample = ctx.state.inventory = { stats, sampled: stats !== null && sampleRate > 0 && Math.random() < sampleRate }
      }
      return sample
    }
    const fits = (length: unknown): boolean => typeof length === 'string' && Number(length) <= maxBodyBytes
    const parse = (body: Buffer): unknown => {
      try {
        return JSON.parse(body.toString('utf8')) as unknown
      } catch {
        return undefined
      }
    }
    // An observer never answers a request: a failure to record (a bug) is logged, the request goes on whatever `onFailure` says.
    const observe = (what: string, record: () => void): void => {
      try {
        record()
      } catch (error) {
        deps.logger.debug({ err: error, what }, 'inventory could not record a request')
      }
    }

    return {
      wantsRequestBody(ctx) {
        return sampleOf(ctx)?.sampled === true && fits(ctx.headers['content-length']) && isJsonMediaType(recordableMediaType(ctx.headers['content-type']) ?? '')
      },
      onRequestBody(ctx, body) {
        const sample = ctx.state.inventory
        if (sample?.sampled !== true || sample.stats === null || body.length === 0 || body.length > maxBodyBytes) return
        if (!isJsonMediaType(recordableMediaType(ctx.headers['content-type']) ?? '')) return
        const { stats } = sample
        observe('request body', () => {
          const value = parse(body)
          if (value !== undefined) stats.recordRequestBody(value)
        })
      },
      wantsResponseBody(ctx) {
        if (sampleOf(ctx)?.sampled !== true) return false
        const response = ctx.response
        if (response === null) return true
        return response.headers['content-encoding'] === undefined && fits(response.headers['content-length']) && isJsonMediaType(recordableMediaType(response.headers['content-type']) ?? '')
      },
      onResponseBody(ctx, body) {
        const sample = ctx.state.inventory
        const response = ctx.response
        if (sample?.sampled !== true || sample.stats === null || response === null || body.length === 0 || body.length > maxBodyBytes) return
        if (response.headers['content-encoding'] !== undefined || !isJsonMediaType(recordableMediaType(response.headers['content-type']) ?? '')) return
        const { stats } = sample
        observe('response body', () => {
          const value = parse(body)
          if (value !== undefined) stats.recordResponseBody(response.status, value)
        })
      },
      onLog(ctx, entry) {
        if (ctx.isPreflight) return
        const stats = ctx.route.template === '*' ? (sampleOf(ctx)?.stats ?? null) : api.declaredStats(ctx.method, ctx.route.template)
        if (stats === null) return
        stats.record(entry.status, clock.now(), ctx.query)
        const requestType = recordableMediaType(ctx.headers['content-type'])
        if (requestType !== null) stats.recordRequestType(requestType)
        const responseType = recordableMediaType(ctx.response?.headers['content-type'])
        if (responseType !== null) stats.recordResponseType(responseType)
      },
      onUnrouted(request) {
        api.learnedStats(request.method, request.relativePath)?.record(request.status, clock.now(), request.query)
      },
    }
  },
})
