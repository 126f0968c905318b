/**
 * A tree of path segments per API: static segments win over mixed patterns, which win over
 * whole-segment parameters; the first route (in that order) that has the method matches.
 */
import type { ParsedTemplate } from './path-template.js'

export class RouteNode<T> {
  statics: Map<string, RouteNode<T>> | null = null
  patterns: { source: string; match: (segment: string) => string[] | null; node: RouteNode<T> }[] | null = null
  param: RouteNode<T> | null = null
  methods: Map<string, T> | null = null

  /** Inserts a route; returns false if this method and template shape already have one. */
  insert(template: ParsedTemplate, method: string, value: T): boolean {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walking down from the root
    let node: RouteNode<T> = this
    for (const segment of template.segments) {
      if (segment.kind === 'static') {
        node.statics ??= new Map()
        let next = node.statics.get(segment.value)
        if (next === undefined) node.statics.set(segment.value, (next = new RouteNode<T>()))
        node = next
      } else if (segment.kind === 'param') {
        node = node.param ??= new RouteNode<T>()
      } else {
        node.patterns ??= []
        let entry = node.patterns.find((p) => p.source === segment.source)
        if (entry === undefined) node.patterns.push((entry = { source: segment.source, match: segment.match, node: new RouteNode<T>() }))
        node = entry.node
      }
    }
    node.methods ??= new Map()
    if (node.methods.has(method)) return false
    node.methods.set(method, value)
    return true
  }

  /**
   * Calls `visit` with every node matching `segments`, most specific first, with the captured
   * parameter values; stops when `visit` returns true.
   */
  walk(segments: readonly string[], index: number, captured: string[], visit: (node: RouteNode<T>, captured: string[]) => boolean): boolean {
    if (index === segments.length) return this.methods !== null && visit(this, captured)
    const segment = segments[index] as string
    const next = this.statics?.get(segment)
    if (next !== undefined && next.walk(segments, index + 1, captured, visit)) return true
    if (this.patterns !== null) {
      for (const pattern of this.patterns) {
        const values = pattern.match(segment)
        if (values === null) continue
        const length = captured.length
        captured.push(...values)
        if (pattern.node.walk(segments, index + 1, captured, visit)) return true
        captured.length = length
      }
    }
    if (this.param !== null && segment !== '') {
      captured.push(segment)
      if (this.param.walk(segments, index + 1, captured, visit)) return true
      captured.pop()
    }
    return false
  }
}
