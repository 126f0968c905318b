/**
 * A repeatable pseudo-random integer source for differential tests: `random(n)` is in [0, n).
 * xorshift32, because the low bits of a small linear congruential generator repeat too soon to
 * vary short test strings.
 */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed | 0 || 1
  return (n) => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) % n
  }
}
