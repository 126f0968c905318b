#!/usr/bin/env node
// Runs the TypeScript sources through tsx's loader (compiled once at start-up, not per request).
import { setFlagsFromString } from 'node:v8'
import { register } from 'tsx/esm/api'

// A proxy allocates short-lived objects per request; a larger young generation lets far fewer of
// them be promoted and collected again (measured in bench/README.md). An explicit flag wins.
if (!process.execArgv.some((arg) => arg.startsWith('--max-semi-space-size')) && process.env.PORTCULLIS_DEFAULT_SEMI_SPACE === undefined) {
  setFlagsFromString('--max-semi-space-size=64')
}

register()
await import('../src/cli/main.ts')
