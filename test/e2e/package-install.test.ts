/**
 * The package users install: `npm pack` holds the compiled build with its type declarations and
 * nothing of the tests; installed from the tarball into an empty prefix, `portcullis --version`, `validate` and `quickstart` run without a
 * TypeScript loader and write nothing into the installed package (the quickstart's store goes
 * to its state directory); the quickstart's admin listener serves the dashboard from it.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { eventually } from '../helpers/gateway.js'
import { unusedPort } from '../helpers/upstream.js'

const ROOT = join(import.meta.dirname, '../..')
const work = mkdtempSync(join(tmpdir(), 'portcullis-package-'))
after(() => rmSync(work, { recursive: true, force: true }))

/** Every file under `dir` with its size and modification time. */
function snapshot(dir: string): string[] {
  const out: string[] = []
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name)
      if (entry.isDirectory()) walk(path)
      else {
        const stat = statSync(path)
        out.push(`${path} ${stat.size} ${stat.mtimeMs}`)
      }
    }
  }
  walk(dir)
  return out.sort()
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}) {
  const result = spawnSync(command, args, { cwd: options.cwd ?? work, encoding: 'utf8', env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 60_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

test('the packed package installs into an empty prefix and runs from it without writing into itself', { timeout: 280_000 }, async () => {
  const pack = run('npm', ['pack', '--pack-destination', work, '--silent', ROOT], { timeoutMs: 5 * 60_000 })
  assert.equal(pack.status, 0, pack.stderr)
  const tarball = join(work, pack.stdout.trim().split('\n').at(-1) as string)
  const listing = run('tar', ['-tzf', tarball]).stdout.split('\n').filter((line) => line !== '')
  assert.ok(listing.includes('package/dist/src/index.js') && listing.includes('package/dist/src/index.d.ts'), 'the build and its declarations are packed')
  assert.ok(listing.includes('package/web/index.html') && listing.includes('package/web/app.js'), 'the dashboard’s files are packed')
  assert.deepEqual(
    listing.filter((file) => /(^package\/test\/|\.test\.|^package\/src\/|test-context|\.ts$)/.test(file) && !file.endsWith('.d.ts')),
    [],
    'no tests, test helpers or TypeScript sources are packed',
  )

  const prefix = join(work, 'prefix')
  // Install scripts off: they would compile re2 and better-sqlite3 again (minutes). Their builds
  // are taken from this checkout when the versions match (same Node), else rebuilt.
  const install = run('npm', ['install', '--prefix', prefix, tarball, '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], { timeoutMs: 10 * 60_000 })
  assert.equal(install.status, 0, install.stderr)
  for (const native of ['re2', 'better-sqlite3']) {
    const target = join(prefix, 'node_modules', native)
    const version = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version
    if (version(target) === version(join(ROOT, 'node_modules', native))) cpSync(join(ROOT, 'node_modules', native, 'build'), join(target, 'build'), { recursive: true })
    else assert.equal(run('npm', ['rebuild', native], { timeoutMs: 10 * 60_000, cwd: prefix }).status, 0, `npm rebuild ${native}`)
  }
  const installed = join(prefix, 'node_modules', 'portcullis')
  const bin = join(prefix, 'node_modules', '.bin', 'portcullis')
  assert.equal(statSync(join(prefix, 'node_modules', 'tsx'), { throwIfNoEntry: false }), undefined, 'no TypeScript loader is installed')
  const before = snapshot(installed)

  const version = run(bin, ['--version'])
  assert.equal(version.status, 0, version.stderr)
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/)
  const env = { PORTCULLIS_ADMIN_TOKEN_SHA256: 'a'.repeat(64) }
  const validate = run(bin, ['validate', '-c', join(installed, 'examples', 'quickstart.yaml')], { env })
  assert.equal(validate.status, 0, validate.stderr)

  const stateDir = join(work, 'state')
  const [listen, admin, upstream] = [await unusedPort(), await unusedPort(), await unusedPort()]
  const quickstart = spawn(bin, ['quickstart', '--upstream-port', String(upstream), '--listen', `127.0.0.1:${listen}`, '--admin-listen', `127.0.0.1:${admin}`], {
    cwd: work,
    env: { ...process.env, PORTCULLIS_STATE_DIR: stateDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  quickstart.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => quickstart.once('exit', resolve))
  try {
    await eventually(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${listen}/orders/v1/orders/1`)).status === 200
      } catch {
        return false
      }
    }, 30_000, 'the quickstart gateway to serve')
    // The dashboard is served from the installed package, uPlot from its dependencies.
    for (const path of ['/dashboard/login', '/dashboard/assets/app.js', '/dashboard/assets/vendor/uplot.js']) assert.equal((await fetch(`http://127.0.0.1:${admin}${path}`)).status, 200, path)
    assert.match(stderr, new RegExp(`--store sqlite:${stateDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/quickstart\\.db`))
  } finally {
    quickstart.kill('SIGTERM')
    await exited
  }
  assert.ok(statSync(join(stateDir, 'quickstart.db')).isFile(), 'the quickstart store is in the state directory')
  assert.deepEqual(snapshot(installed), before, 'nothing was written into the installed package')
})
