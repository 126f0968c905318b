/**
 * Learns path templates from concrete paths: `/users/123` and `/users/456` become
 * `/users/{id}`. A segment is a parameter when its shape says it is a value (segment-kinds.ts),
 * or when its position has taken more distinct words than a literal position would
 * (`maxLiteralsPerSegment`: `/repos/torvalds`, `/repos/octocat`, … become `/repos/{id}`); words
 * seen far more often than the rest at that position (`/users/me`) stay literal.
 *
 * Memory is bounded by construction: a trie of at most `maxNodes` nodes (a path that needs more
 * is counted in `dropped`, never stored), at most `maxLiteralsPerSegment` literal children per
 * node, at most `maxDepth` segments per path. A flood of random paths widens the positions it
 * varies and then lands in the same parameter nodes.
 */
import { paramKindOf, type ParamKind } from './segment-kinds.js'

export interface TemplateLimits {
  /** Nodes of the trie (each is a template prefix); the bound on memory per API. */
  readonly maxNodes: number
  /** Distinct literal words at one position before it becomes a parameter. */
  readonly maxLiteralsPerSegment: number
  /** Segments of a path; deeper paths are dropped. */
  readonly maxDepth: number
}

/** What a template's node holds: the payload's factory and how two payloads merge. */
export interface PayloadKind<P> {
  create(): P
  /** Adds `from` into `into` (two templates that became one). */
  merge(into: P, from: P): void
}

/** One node: a template prefix. */
export class TemplateNode<P> {
  template: string
  /** The parameter's name, when this node is a parameter position. */
  paramName: string | null
  /** Kinds of values seen at this parameter position (at most a handful). */
  readonly kinds = new Set<ParamKind | 'word'>()
  literals: Map<string, TemplateNode<P>> | null = null
  param: TemplateNode<P> | null = null
  /** Once a position took too many words, new words go to the parameter. */
  widened = false
  hits = 0
  /** Set when a path ended here. */
  payload: P | null = null

  constructor(template: string, paramName: string | null) {
    this.template = template
    this.paramName = paramName
  }
}

const MAX_KINDS = 8

export class PathTemplates<P> {
  readonly root: TemplateNode<P>
  readonly #limits: TemplateLimits
  readonly #payloads: PayloadKind<P>
  #nodes = 1
  /** Paths not recorded: past `maxNodes` or `maxDepth`. */
  dropped = 0

  constructor(limits: TemplateLimits, payloads: PayloadKind<P>) {
    this.#limits = limits
    this.#payloads = payloads
    this.root = new TemplateNode<P>('/', null)
  }

  get nodeCount(): number {
    return this.#nodes
  }

  /** Records a path relative to the API's base path; returns its template's payload, or null when dropped. */
  record(path: string): P | null {
    const segments = splitSegments(path, this.#limits.maxDepth)
    if (segments === null) {
      this.dropped++
      return null
    }
    let node = this.root
    node.hits++
    for (const segment of segments) {
      const next = this.#child(node, segment)
      if (next === null) {
        this.dropped++
        return null
      }
      node = next
      node.hits++
    }
    return (node.payload ??= this.#payloads.create())
  }

  /** Every template that a path ended at, with its payload. */
  *templates(): Generator<{ template: string; node: TemplateNode<P>; payload: P }> {
    const stack: TemplateNode<P>[] = [this.root]
    while (stack.length > 0) {
      const node = stack.pop() as TemplateNode<P>
      if (node.payload !== null) yield { template: node.template, node, payload: node.payload }
      if (node.param !== null) stack.push(node.param)
      if (node.literals !== null) stack.push(...node.literals.values())
    }
  }

  /** The parameter nodes along `template`, by name (for their kinds). */
  paramsOf(template: string): Map<string, TemplateNode<P>> {
    const params = new Map<string, TemplateNode<P>>()
    let node: TemplateNode<P> | null = this.root
    for (const segment of template.split('/').filter((s) => s !== '')) {
      if (node === null) break
      node = segment.startsWith('{') ? node.param : (node.literals?.get(segment) ?? null)
      if (node?.paramName != null) params.set(node.paramName, node)
    }
    return params
  }

  #child(node: TemplateNode<P>, segment: string): TemplateNode<P> | null {
    const kind = paramKindOf(segment)
    if (kind !== null) return this.#paramChild(node, kind)
    const literal = node.literals?.get(segment)
    if (literal !== undefined) return literal
    if (node.widened) return this.#paramChild(node, 'word')
    if ((node.literals?.size ?? 0) >= this.#limits.maxLiteralsPerSegment) {
      this.#widen(node)
      return this.#paramChild(node, 'word')
    }
    if (this.#nodes >= this.#limits.maxNodes) return null
    this.#nodes++
    const child = new TemplateNode<P>(joinTemplate(node.template, segment), null)
    ;(node.literals ??= new Map()).set(segment, child)
    return child
  }

  #paramChild(node: TemplateNode<P>, kind: ParamKind | 'word'): TemplateNode<P> | null {
    let param = node.param
    if (param === null) {
      if (this.#nodes >= this.#limits.maxNodes) return null
      this.#nodes++
      const name = paramName(node.template, kind)
      param = node.param = new TemplateNode<P>(joinTemplate(node.template, `{${name}}`), name)
    }
    if (param.kinds.size < MAX_KINDS) param.kinds.add(kind)
    return param
  }

  /**
   * The position took too many words: those seen no more than twice their fair share become the
   * parameter (their subtrees and payloads merged into it); the frequent ones stay literal.
   */
  #widen(node: TemplateNode<P>): void {
    node.widened = true
    const literals = node.literals
    if (literals === null) return
    const fairShare = node.hits / (literals.size + 1)
    for (const [word, child] of literals) {
      if (child.hits > 2 * fairShare) continue
      literals.delete(word)
      if (node.param === null) {
        const name = paramName(node.template, 'word')
        node.param = new TemplateNode<P>(joinTemplate(node.template, `{${name}}`), name)
        this.#nodes++
      }
      node.param.kinds.add('word')
      this.#mergeInto(node.param, child)
    }
  }

  /** Moves `from`'s hits, payload and subtree into `into`; `from` is gone afterwards. */
  #mergeInto(into: TemplateNode<P>, from: TemplateNode<P>): void {
    this.#nodes--
    into.hits += from.hits
    if (from.payload !== null) {
      if (into.payload === null) into.payload = from.payload
      else this.#payloads.merge(into.payload, from.payload)
    }
    for (const kind of from.kinds) if (into.kinds.size < MAX_KINDS) into.kinds.add(kind)
    if (from.param !== null) {
      if (into.param === null) {
        into.param = rebase(from.param, into.template)
      } else this.#mergeInto(into.param, from.param)
    }
    if (from.literals !== null) {
      for (const [word, child] of from.literals) {
        const existing = into.widened ? (into.param ?? null) : (into.literals?.get(word) ?? null)
        if (existing !== null) this.#mergeInto(existing, child)
        else (into.literals ??= new Map()).set(word, rebase(child, into.template))
      }
    }
  }
}

/** Re-roots a moved subtree's templates under `parent`, renaming its parameters to stay unique there. */
function rebase<P>(node: TemplateNode<P>, parent: string): TemplateNode<P> {
  if (node.paramName !== null) {
    node.paramName = paramName(parent, node.kinds.values().next().value ?? 'word')
    node.template = joinTemplate(parent, `{${node.paramName}}`)
  } else node.template = joinTemplate(parent, node.template.slice(node.template.lastIndexOf('/') + 1))
  if (node.param !== null) rebase(node.param, node.template)
  if (node.literals !== null) for (const child of node.literals.values()) rebase(child, node.template)
  return node
}

function joinTemplate(parent: string, segment: string): string {
  return parent === '/' ? `/${segment}` : `${parent}/${segment}`
}

/**
 * A parameter's name: `date` and `email` by kind, `id` for the first other one, then after the
 * literal before it (`/users/{id}/orders/{orderId}`); unique within the template.
 */
function paramName(parentTemplate: string, kind: ParamKind | 'word'): string {
  const segments = parentTemplate.split('/').filter((s) => s !== '')
  const taken = new Set(segments.filter((s) => s.startsWith('{')).map((s) => s.slice(1, -1)))
  const previous = segments.at(-1)
  let base: string
  if (kind === 'date' || kind === 'email') base = kind
  else if (taken.size === 0 || previous === undefined || previous.startsWith('{')) base = 'id'
  else base = `${camel(singular(previous))}Id`
  let name = base
  for (let i = 2; taken.has(name); i++) name = `${base}${String(i)}`
  return name
}

function singular(word: string): string {
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`
  if (word.endsWith('sses')) return word.slice(0, -2)
  if (word.endsWith('s') && !word.endsWith('ss') && word.length > 3) return word.slice(0, -1)
  return word
}

function camel(word: string): string {
  const cleaned = word.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())
  return cleaned === '' || !/^[A-Za-z]/.test(cleaned) ? 'param' : cleaned.charAt(0).toLowerCase() + cleaned.slice(1)
}

/** A path's segments without empty ones; null past `maxDepth`. */
function splitSegments(path: string, maxDepth: number): string[] | null {
  const segments: string[] = []
  let start = 1
  for (let i = 1; i <= path.length; i++) {
    if (i === path.length || path.charCodeAt(i) === 47) {
      if (i > start) {
        if (segments.length === maxDepth) return null
        segments.push(path.slice(start, i))
      }
      start = i + 1
    }
  }
  return segments
}
