/**
 * Remote `$ref` targets an API allows: URL prefixes from its `openapiRemoteRefs`, and the
 * documents fetched under them. They are fetched once per config load, by the config parser
 * (on its worker thread during a reload), and handed with the parsed config to the policies, so
 * routes and validators see the same text and the event loop never waits on the network.
 * Config parsing is synchronous, so a fetch runs in a short-lived child process and the parser
 * waits for it, bounded in time and size.
 */
import { execFileSync } from 'node:child_process'

const FETCH_TIMEOUT_MS = 10_000
const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

/**
 * Redirects are refused rather than followed: a redirect could lead outside the allowed prefixes.
 * The body is read with a running size check so a huge response cannot fill the loader's memory.
 */
const FETCH_SCRIPT = `
const [url, timeoutMs, maxBytes] = process.argv.slice(1)
const fail = (message) => { process.stderr.write(message); process.exit(1) }
try {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(Number(timeoutMs)), headers: { accept: 'application/json, application/yaml, text/yaml, */*' } })
  if (response.status >= 300 && response.status < 400) fail('answered ' + response.status + ' (redirect to ' + (response.headers.get('location') ?? '?') + '); list the final URL instead')
  if (response.status !== 200) fail('answered ' + response.status)
  const chunks = []
  let size = 0
  for await (const chunk of response.body ?? []) {
    size += chunk.length
    if (size > Number(maxBytes)) fail('is larger than ' + maxBytes + ' bytes')
    chunks.push(chunk)
  }
  process.stdout.write(Buffer.concat(chunks))
} catch (error) {
  fail(error.name === 'TimeoutError' ? 'did not answer within ' + timeoutMs + ' ms' : String(error.cause?.code ?? error.message))
}
`

/**
 * Which remote URLs may be fetched (same scheme and host as a listed prefix, under its path),
 * and their texts once fetched.
 */
export class RemoteDocuments {
  readonly #prefixes: readonly URL[]
  readonly #texts: Map<string, string>

  /** Throws for a prefix that is not an absolute http(s) URL. `prefetched` texts are not fetched again. */
  constructor(prefixes: readonly string[], prefetched: Readonly<Record<string, string>> = {}) {
    this.#texts = new Map(Object.entries(prefetched))
    this.#prefixes = prefixes.map((prefix) => {
      const url = URL.canParse(prefix) ? new URL(prefix) : null
      if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.host === '') throw new Error(`${prefix} is not an absolute http(s) URL`)
      return url
    })
  }

  get empty(): boolean {
    return this.#prefixes.length === 0
  }

  allows(target: URL): boolean {
    // Compared on the parsed URL and by whole path segments, not as strings: `https://a.example`
    // must not admit `https://a.example.evil`, nor `/schemas/v` admit `/schemas/v1/`.
    return this.#prefixes.some(
      (prefix) =>
        prefix.protocol === target.protocol &&
        prefix.host === target.host &&
        target.username === '' &&
        target.password === '' &&
        (target.pathname === prefix.pathname || target.pathname.startsWith(prefix.pathname.endsWith('/') ? prefix.pathname : `${prefix.pathname}/`)),
    )
  }

  /** The text at an allowed `url`, fetched now unless it already was. Throws when it cannot be fetched. */
  text(url: string): string {
    let text = this.#texts.get(url)
    if (text === undefined) {
      text = fetchRemoteDocument(url)
      this.#texts.set(url, text)
    }
    return text
  }

  /** Every text fetched or given so far, by URL: to hand to another loader of the same documents. */
  texts(): Record<string, string> {
    return Object.fromEntries(this.#texts)
  }
}

/** The document at `url` as text. Throws an Error saying why it could not be fetched (without the URL). */
function fetchRemoteDocument(url: string): string {
  try {
    return execFileSync(process.execPath, ['--input-type=module', '-e', FETCH_SCRIPT, url, String(FETCH_TIMEOUT_MS), String(MAX_DOCUMENT_BYTES)], {
      encoding: 'utf8',
      timeout: FETCH_TIMEOUT_MS + 5_000,
      maxBuffer: MAX_DOCUMENT_BYTES + 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
      // The child inherits no loader flags (tsx): it runs plain JavaScript.
      env: { ...process.env, NODE_OPTIONS: '' },
    })
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr
    throw new Error(typeof stderr === 'string' && stderr !== '' ? stderr.trim() : (error as Error).message, { cause: error })
  }
}
