/**
 * What CLI commands reading a running gateway share: a GET on its admin API (`--admin URL`) with
 * the token from an environment variable (never the command line), and errors that say which
 * flag and what went wrong.
 */

const ADMIN_TIMEOUT_MS = 10000

/** A problem the user can fix, said with where it is. */
export class CliInputError extends Error {}

/** GETs `path` (with its query) from the admin API and returns the body text of a 200 answer. */
export async function fetchAdmin(admin: string, tokenEnv: string, path: string): Promise<{ text: string; url: URL }> {
  let url: URL
  try {
    url = new URL(`${admin.replace(/\/+$/, '')}${path}`)
  } catch {
    throw new CliInputError(`--admin ${admin}: not a URL (e.g. http://127.0.0.1:9090)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliInputError(`--admin ${admin}: must be an http:// or https:// URL`)
  const token = process.env[tokenEnv]
  if (token === undefined || token === '') throw new CliInputError(`--admin ${admin}: set the admin token in the environment variable ${tokenEnv} (--token-env names another)`)
  let response: Response
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) })
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name
    throw new CliInputError(`--admin ${admin}: cannot reach the admin API (${cause})`)
  }
  const text = await response.text()
  if (response.status !== 200) {
    const code = problemCode(text)
    throw new CliInputError(`--admin ${admin}: GET ${url.pathname} answered ${String(response.status)}${code === null ? '' : ` ${code}`}`)
  }
  return { text, url }
}

function problemCode(text: string): string | null {
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code
    return typeof code === 'string' ? code : null
  } catch {
    return null
  }
}
