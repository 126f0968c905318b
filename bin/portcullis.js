#!/usr/bin/env node
// Runs the TypeScript sources through tsx's loader (compiled once at start-up, not per request).
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
