/**
 * A buffered, asynchronous line writer for the access log. sonic-boom (pino's destination)
 * re-measures its whole pending buffer on every write, which at proxy rates cost more than the
 * log line itself; this sink keeps a list of lines and writes them in one call per batch.
 * Bounded: past `maxBufferedBytes` (a stalled disk or pipe) lines are dropped and counted,
 * never allowed to grow the heap without limit.
 */
import { write as writeFd, writeSync } from 'node:fs'

export interface BufferedSinkOptions {
  flushBytes: number
  maxBufferedBytes: number
  flushIntervalMs: number
}

const DEFAULTS: BufferedSinkOptions = { flushBytes: 16384, maxBufferedBytes: 8 * 1024 * 1024, flushIntervalMs: 500 }

export class BufferedSink {
  readonly #fd: number
  readonly #options: BufferedSinkOptions
  #lines: string[] = []
  #length = 0
  #writing = false
  /** Lines dropped because the destination could not keep up. */
  dropped = 0

  constructor(fd: number, options: Partial<BufferedSinkOptions> = {}) {
    this.#fd = fd
    this.#options = { ...DEFAULTS, ...options }
    setInterval(() => this.#flush(), this.#options.flushIntervalMs).unref()
  }

  write(line: string): void {
    if (this.#length > this.#options.maxBufferedBytes) {
      this.dropped++
      return
    }
    this.#lines.push(line)
    this.#length += line.length
    if (!this.#writing && this.#length >= this.#options.flushBytes) this.#flush()
  }

  /** Writes what is pending synchronously (shutdown). */
  flushSync(): void {
    if (this.#lines.length === 0) return
    const data = Buffer.from(this.#take())
    let offset = 0
    for (let attempts = 0; offset < data.length && attempts < 1000; attempts++) {
      try {
        offset += writeSync(this.#fd, data, offset)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return
      }
    }
  }

  #take(): string {
    const data = this.#lines.join('')
    this.#lines = []
    this.#length = 0
    return data
  }

  #flush(): void {
    if (this.#writing || this.#lines.length === 0) return
    this.#writing = true
    this.#writeBuffer(Buffer.from(this.#take()), 0)
  }

  #writeBuffer(data: Buffer, offset: number): void {
    writeFd(this.#fd, data, offset, data.length - offset, null, (error, written) => {
      if (error !== null && error.code === 'EAGAIN') {
        setTimeout(() => this.#writeBuffer(data, offset), 10).unref()
        return
      }
      // A write error other than EAGAIN loses this batch; logging must never take the gateway down.
      const next = error === null ? offset + written : data.length
      if (next < data.length) return this.#writeBuffer(data, next)
      this.#writing = false
      if (this.#length >= this.#options.flushBytes) this.#flush()
    })
  }
}
