/** Raw TCP exchanges for malformed requests no HTTP client would send. */
import { connect } from 'node:net'

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
  /** True when the server closed the connection. */
  closed: boolean
}

/** Writes `parts` (with optional pauses) and reads until the server closes or `timeoutMs`. */
export async function rawRequest(port: number, parts: (string | Buffer | { pauseMs: number })[], timeoutMs = 5000): Promise<RawResponse> {
  const { text, closed } = await rawExchange(port, parts, timeoutMs)
  return parse(text, closed)
}

/** Responses split from the raw text of a connection (bodies by Content-Length). */
export function splitResponses(text: string): RawResponse[] {
  const out: RawResponse[] = []
  let rest = text
  for (let i = 0; i < 1000 && rest.startsWith('HTTP/'); i++) {
    const end = rest.indexOf('\r\n\r\n')
    if (end === -1) break
    const head = parse(rest.slice(0, end + 4), false)
    const length = Number(head.headers['content-length'] ?? 0)
    out.push({ ...head, body: rest.slice(end + 4, end + 4 + length) })
    rest = rest.slice(end + 4 + length)
  }
  return out
}

/** Like rawRequest, but returns everything the server sent, as latin1 text. */
export function rawExchange(port: number, parts: (string | Buffer | { pauseMs: number })[], timeoutMs = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let closed = false
    const timer = setTimeout(() => socket.destroy(), timeoutMs)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      closed = true
      clearTimeout(timer)
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed })
    })
    socket.on('connect', () => {
      void (async () => {
        for (const part of parts) {
          if (typeof part === 'object' && 'pauseMs' in part) await new Promise((r) => setTimeout(r, part.pauseMs))
          else if (!socket.destroyed) socket.write(part)
        }
      })().catch(reject)
    })
  })
}

function parse(text: string, closed: boolean): RawResponse {
  const end = text.indexOf('\r\n\r\n')
  if (end === -1) return { status: 0, headers: {}, body: text, closed }
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  const raw = text.slice(end + 4)
  return { status: Number(statusLine.split(' ')[1]), headers, body: headers['transfer-encoding'] === 'chunked' ? dechunk(raw) : raw, closed }
}

function dechunk(raw: string): string {
  let out = ''
  let at = 0
  for (let i = 0; i < 10_000; i++) {
    const lineEnd = raw.indexOf('\r\n', at)
    if (lineEnd === -1) break
    const size = parseInt(raw.slice(at, lineEnd), 16)
    if (!(size > 0)) break
    out += raw.slice(lineEnd + 2, lineEnd + 2 + size)
    at = lineEnd + 2 + size + 2
  }
  return out
}
