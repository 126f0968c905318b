/**
 * A fixed-response HTTP server in a child process, on 127.0.0.1 and a free port: for what the
 * gateway fetches synchronously while its config loads (remote `$ref`s), which a server in the
 * test's own process could not answer while the loader blocks it.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'

export interface FixedResponse {
  status: number
  headers?: Record<string, string>
  body?: string
}

export interface FileServerProcess {
  url: string
  /** Paths requested so far, in order. */
  requested(): Promise<string[]>
  /** Replaces the response for `path`. */
  set(path: string, response: FixedResponse): Promise<void>
  close(): Promise<void>
}

const SERVER_SCRIPT = `
import { createServer } from 'node:http'
const responses = JSON.parse(process.env.FIXED_RESPONSES)
const requested = []
const server = createServer((req, res) => {
  if (req.url === '/__requested') return res.end(JSON.stringify(requested))
  if (req.url === '/__set') {
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      const { path, response } = JSON.parse(Buffer.concat(chunks).toString())
      responses[path] = response
      res.end()
    })
    return
  }
  requested.push(req.url)
  const fixed = responses[req.url] ?? { status: 404 }
  res.writeHead(fixed.status, fixed.headers ?? {}).end(fixed.body ?? '')
})
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
`

export async function startFileServerProcess(responses: Record<string, FixedResponse>): Promise<FileServerProcess> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SERVER_SCRIPT], {
    env: { ...process.env, NODE_OPTIONS: '', FIXED_RESPONSES: JSON.stringify(responses) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [line] = (await Promise.race([
    once(child.stdout, 'data'),
    new Promise((_, reject) => setTimeout(() => reject(new Error('the file server process did not start within 10 s')), 10_000).unref()),
  ])) as [Buffer]
  const url = `http://127.0.0.1:${line.toString().trim()}`
  return {
    url,
    async requested() {
      const response = await fetch(`${url}/__requested`)
      return (await response.json()) as string[]
    },
    async set(path, response) {
      await fetch(`${url}/__set`, { method: 'POST', body: JSON.stringify({ path, response }) })
    },
    async close() {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}
