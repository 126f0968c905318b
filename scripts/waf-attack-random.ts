/** The seeded randomness of the WAF attack corpus (scripts/waf-attack-corpus.ts): one seed, one corpus. */
import { seededRandom } from '../test/helpers/seeded-random.js'

export interface Rng {
  /** An integer in [0, n). */
  int(n: number): number
  /** An integer in [min, max]. */
  between(min: number, max: number): number
  pick<T>(list: readonly T[]): T
  chance(p: number): boolean
  /** A shuffled copy. */
  shuffle<T>(list: readonly T[]): T[]
  hex(length: number): string
  alnum(length: number): string
  letters(length: number): string
  digits(length: number): string
  uuid(): string
}

export function createRng(seed: number): Rng {
  const random = seededRandom(seed * 2654435761 + 1)
  const chars = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[random(alphabet.length)]).join('')
  const rng: Rng = {
    int: (n) => random(Math.max(1, n)),
    between: (min, max) => min + random(max - min + 1),
    pick<T>(list: readonly T[]): T {
      if (list.length === 0) throw new Error('pick from an empty list')
      return list[random(list.length)] as T
    },
    chance: (p) => random(1_000_000) < p * 1_000_000,
    shuffle<T>(list: readonly T[]): T[] {
      const out = [...list]
      for (let i = out.length - 1; i > 0; i--) {
        const j = random(i + 1)
        const swap = out[i] as T
        out[i] = out[j] as T
        out[j] = swap
      }
      return out
    },
    hex: (length) => chars('0123456789abcdef', length),
    alnum: (length) => chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', length),
    letters: (length) => chars('abcdefghijklmnopqrstuvwxyz', length),
    digits: (length) => chars('0123456789', length),
    uuid: () => `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-${rng.pick(['8', '9', 'a', 'b'])}${rng.hex(3)}-${rng.hex(12)}`,
  }
  return rng
}
