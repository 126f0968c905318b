#!/usr/bin/env node
// Sets up what the tests need (scripts/test-environment.mjs: Debian packages, Redis, PostgreSQL),
// builds dist/, then finds every *.test.ts under src/ and test/ and runs them with node's test
// runner (Node 20's --test takes no globs). Extra arguments are file filters. The timeout applies
// to each file too: the CLI files spawn ~40 processes of ~2 s start-up each.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { prepareTestEnvironment } from './test-environment.mjs'

function find(directory) {
  const out = []
  for (const name of readdirSync(directory)) {
    const path = join(directory, name)
    if (statSync(path).isDirectory()) out.push(...find(path))
    else if (name.endsWith('.test.ts')) out.push(path)
  }
  return out
}

// The CLI tests run bin/portcullis.js, which runs the compiled build: compile the sources first
// (incremental, a few seconds when nothing changed), so no test runs stale JavaScript.
const build = spawnSync(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
if (build.status !== 0) {
  console.error('the build (tsc -p tsconfig.build.json) failed: fix it before the tests run')
  process.exit(1)
}

const filters = process.argv.slice(2)
const files = ['src', 'test'].flatMap(find).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort()
if (files.length === 0) {
  console.error('no test files found')
  process.exit(1)
}
const environment = await prepareTestEnvironment()
let result
try {
  result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', '--test-reporter=spec', ...files],
    { stdio: 'inherit', env: environment.env },
  )
} finally {
  environment.stop()
}
process.exit(result?.status ?? 1)
