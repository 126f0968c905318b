#!/usr/bin/env -S node --max-semi-space-size=64
// The flag: a proxy allocates short-lived objects per request; a larger young generation lets far
// fewer of them be promoted and collected again (bench/README.md). V8 sizes the young generation
// when the heap is created, so it must be a start-up flag (v8.setFlagsFromString is too late).
// Runs the TypeScript sources through tsx's loader (compiled once at start-up, not per request).
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
