#!/usr/bin/env -S node --max-semi-space-size=64
// The flag: a proxy allocates short-lived objects per request; a larger young generation lets far
// fewer of them be promoted and collected again (bench/README.md). V8 sizes the young generation
// when the heap is created, so it must be a start-up flag (v8.setFlagsFromString is too late).
// Runs the compiled JavaScript in dist/ (`npm run build`; the package ships it built).
await import('../dist/src/cli/main.js')
