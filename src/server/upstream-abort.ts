/**
 * The smallest abort signal undici accepts (an EventEmitter-like `on`/`once`/`removeListener`):
 * one per forwarded request, so an AbortController — and the DOMException its abort allocates —
 * is not paid on every request for the rare client that leaves early.
 */
export class UpstreamAbort {
  aborted = false
  #listener: (() => void) | null = null

  on(_event: 'abort', listener: () => void): this {
    this.#listener = listener
    return this
  }

  once(event: 'abort', listener: () => void): this {
    return this.on(event, listener)
  }

  removeListener(): this {
    this.#listener = null
    return this
  }

  abort(): void {
    if (this.aborted) return
    this.aborted = true
    const listener = this.#listener
    this.#listener = null
    listener?.()
  }
}
