/**
 * A buffered, asynchronous line writer for the access log. Lines are encoded at once into a
 * reused off-heap buffer, so nothing per request outlives the request on the JS heap (lines held
 * as strings until a batch was written survived young-generation collections and cost more in
 * GC than writing them); full buffers are written in one call each. sonic-boom (pino's
 * destination) was not used here: it re-measures its whole pending buffer on every write.
 * Bounded: past `maxBufferedBytes` (a stalled disk or pipe) lines are dropped and counted.
 */
import { fstatSync, write as writeFd, writeSync } from 'node:fs'

export interface BufferedSinkOptions {
  bufferBytes: number
  maxBufferedBytes: number
  flushIntervalMs: number
}

const DEFAULTS: BufferedSinkOptions = { bufferBytes: 65536, maxBufferedBytes: 8 * 1024 * 1024, flushIntervalMs: 500 }

const PIPE_BUF = 4096

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile()
  } catch {
    return false
  }
}

export class BufferedSink {
  readonly #fd: number
  readonly #options: BufferedSinkOptions
  #current: Buffer
  #used = 0
  /** A one-off buffer reserved for a line longer than a whole buffer. */
  #oversized: Buffer | null = null
  /** Filled buffers waiting to be written, oldest first. */
  readonly #queue: Buffer[] = []
  #queuedBytes = 0
  readonly #free: Buffer[] = []
  /**
   * Largest write that cannot interleave with other writers' (POSIX PIPE_BUF): stdout is often a
   * pipe shared by every worker process, and a longer write can be split mid-line.
   */
  readonly #atomicBytes: number
  #writing = false
  /** Lines dropped because the destination could not keep up. */
  dropped = 0

  constructor(fd: number, options: Partial<BufferedSinkOptions> = {}) {
    this.#fd = fd
    this.#options = { ...DEFAULTS, ...options }
    this.#current = Buffer.allocUnsafe(this.#options.bufferBytes)
    this.#atomicBytes = isRegularFile(fd) ? Number.POSITIVE_INFINITY : PIPE_BUF
    setInterval(() => this.#flush(), this.#options.flushIntervalMs).unref()
  }

  write(line: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    const buffer = this.reserve(line.length * 3)
    const at = this.used
    this.commit(at + buffer.write(line, at))
  }

  /**
   * The buffer the next line goes into, from `used` on, with at least `bytes` free; finish with
   * `commit`. Lets a caller encode a line in place instead of building a string first.
   */
  reserve(bytes: number): Buffer {
    if (this.#used + bytes <= this.#current.length) return this.#current
    this.#rotate()
    if (bytes <= this.#current.length) return this.#current
    this.#oversized = Buffer.allocUnsafe(bytes)
    return this.#oversized
  }

  /** Where the line written into the reserved buffer starts. */
  get used(): number {
    return this.#oversized === null ? this.#used : 0
  }

  /** Ends the line written into the reserved buffer at `end` (exclusive). */
  commit(end: number): void {
    const oversized = this.#oversized
    if (this.#queuedBytes > this.#options.maxBufferedBytes) {
      this.#oversized = null
      this.dropped++
      return
    }
    if (oversized !== null) {
      this.#oversized = null
      this.#enqueue(oversized.subarray(0, end))
      return
    }
    this.#used = end
    if (!this.#writing && this.#used >= this.#current.length / 2) this.#flush()
  }

  /**
   * Writes everything pending synchronously (shutdown, tests). A batch already being written
   * asynchronously may land after these lines; each line is whole and carries its time.
   */
  flushSync(): void {
    this.#rotate()
    for (const buffer of this.#queue.splice(0)) {
      let offset = 0
      for (let attempts = 0; offset < buffer.length && attempts < 1000; attempts++) {
        try {
          offset += writeSync(this.#fd, buffer, offset)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') break
        }
      }
    }
    this.#queuedBytes = 0
  }

  #rotate(): void {
    if (this.#used === 0) return
    this.#enqueue(this.#current.subarray(0, this.#used))
    this.#current = this.#free.pop() ?? Buffer.allocUnsafe(this.#options.bufferBytes)
    this.#used = 0
  }

  #enqueue(buffer: Buffer): void {
    this.#queue.push(buffer)
    this.#queuedBytes += buffer.length
  }

  #flush(): void {
    if (this.#writing) return
    this.#rotate()
    const next = this.#queue.shift()
    if (next === undefined) return
    this.#writing = true
    this.#writeBuffer(next, 0)
  }

  /** End of the next write: whole lines, within the atomic size when there are several. */
  #chunkEnd(data: Buffer, offset: number): number {
    if (data.length - offset <= this.#atomicBytes) return data.length
    const lastNewline = data.lastIndexOf(0x0a, offset + this.#atomicBytes - 1)
    if (lastNewline >= offset) return lastNewline + 1
    const nextNewline = data.indexOf(0x0a, offset)
    return nextNewline === -1 ? data.length : nextNewline + 1
  }

  #writeBuffer(data: Buffer, offset: number): void {
    const end = this.#chunkEnd(data, offset)
    writeFd(this.#fd, data, offset, end - offset, null, (error, written) => {
      if (error !== null && error.code === 'EAGAIN') {
        setTimeout(() => this.#writeBuffer(data, offset), 10).unref()
        return
      }
      // A write error other than EAGAIN loses this batch; logging must never take the gateway down.
      const next = error === null ? offset + written : data.length
      if (next < data.length) return this.#writeBuffer(data, next)
      this.#queuedBytes = Math.max(0, this.#queuedBytes - data.length)
      if (data.buffer.byteLength === this.#options.bufferBytes && this.#free.length < 2) this.#free.push(Buffer.from(data.buffer, data.byteOffset, this.#options.bufferBytes))
      this.#writing = false
      if (this.#queue.length > 0) this.#flush()
    })
  }
}
