/**
 * Body handling for policies that asked for it (buffered, bounded) and for streamed bodies that
 * must still respect a limit (counted while they pass).
 */
import { Transform, type Readable } from 'node:stream'
import { GatewayError } from '../errors.js'

/**
 * Reads the whole body; rejects with 413 past `limit`, 503 when `reserve` (the process's
 * buffered-bytes budget) refuses a chunk, 400 when the client aborts or sends garbage.
 */
export function readBody(stream: Readable, limit: number, declaredLength: number | null, reserve: (bytes: number) => boolean): Promise<Buffer> {
  if (declaredLength !== null && declaredLength > limit) return Promise.reject(new GatewayError('GW_ERR_REQUEST_BODY_TOO_LARGE'))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        stream.resume()
        reject(new GatewayError('GW_ERR_REQUEST_BODY_TOO_LARGE'))
        return
      }
      if (!reserve(chunk.length)) {
        cleanup()
        stream.resume()
        reject(new GatewayError('GW_ERR_GATEWAY_OVERLOADED'))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size))
    }
    const onError = (error: Error) => {
      cleanup()
      reject(new GatewayError('GW_ERR_REQUEST_BODY_INCOMPLETE', undefined, { cause: error }))
    }
    const onClose = () => {
      if (!stream.readableEnded) onError(new Error('client closed the request before its body ended'))
    }
    function cleanup() {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.off('close', onClose)
    }
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('close', onClose)
  })
}

/** Passes a streamed body through, failing with 413 once it exceeds `limit`. */
export function limitBody(stream: Readable, limit: number): Readable {
  let size = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length
      if (size > limit) callback(new GatewayError('GW_ERR_REQUEST_BODY_TOO_LARGE'))
      else callback(null, chunk)
    },
  })
  stream.on('error', (error) => counter.destroy(new GatewayError('GW_ERR_REQUEST_BODY_INCOMPLETE', undefined, { cause: error })))
  return stream.pipe(counter)
}
