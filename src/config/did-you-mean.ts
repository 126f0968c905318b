/** Suggests the closest known name for a misspelt key; cheap enough for config sizes. */
export function didYouMean(input: string, candidates: readonly string[]): string | null {
  const lower = input.toLowerCase()
  // A truncated name (`maxUrl` for `maxUrlLength`) is far in edit distance but an obvious match.
  if (lower.length >= 4) {
    const extended = candidates.find((c) => c.toLowerCase().startsWith(lower))
    if (extended !== undefined) return extended
  }
  let best: string | null = null
  let bestDistance = Math.max(2, Math.floor(input.length / 3)) + 1
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost)
    }
    previous = current
  }
  return previous[b.length] ?? 0
}
