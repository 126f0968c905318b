/**
 * `${env:NAME}` (`${env:NAME:-default}` with a default) and `${file:PATH}` references: secrets
 * stay out of config files. Resolved
 * values are never echoed in error messages; only the reference and its location are.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { ConfigProblem } from '../errors.js'
import { formatPath } from './format-path.js'

const REFERENCE = /\$\{(env|file):([^}]+)\}/g

export interface ReferenceResult {
  value: unknown
  problems: ConfigProblem[]
  /** Files read through `${file:…}`, so reload can watch them. */
  files: string[]
}

/** Returns a copy of `value` with every reference in every string replaced. */
export function resolveReferences(value: unknown, env: NodeJS.ProcessEnv, baseDir: string): ReferenceResult {
  const problems: ConfigProblem[] = []
  const files: string[] = []

  function resolveString(text: string, path: (string | number)[]): string {
    return text.replace(REFERENCE, (_, kind: string, name: string) => {
      if (kind === 'env') {
        // `${env:NAME:-default}`: the default (as in the shell) when NAME is unset or empty.
        const split = name.indexOf(':-')
        const variable = split === -1 ? name : name.slice(0, split)
        const found = env[variable]
        if (split !== -1 && (found === undefined || found === '')) return name.slice(split + 2)
        if (found === undefined) problems.push({ path: formatPath(path), message: `environment variable ${variable} is not set` })
        return found ?? ''
      }
      const file = resolve(baseDir, name)
      try {
        files.push(file)
        // A trailing newline is an artefact of editors and `echo`, never part of a secret.
        return readFileSync(file, 'utf8').replace(/\r?\n$/, '')
      } catch (error) {
        problems.push({ path: formatPath(path), message: `cannot read ${name}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` })
        return ''
      }
    })
  }

  function walk(node: unknown, path: (string | number)[]): unknown {
    if (typeof node === 'string') return node.includes('${') ? resolveString(node, path) : node
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]))
    if (typeof node === 'object' && node !== null) {
      const out: Record<string, unknown> = {}
      for (const [key, child] of Object.entries(node)) out[key] = walk(child, [...path, key])
      return out
    }
    return node
  }

  return { value: walk(value, []), problems, files }
}
