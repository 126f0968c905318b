/**
 * SecLang collections: ordered multimaps from a key to values (ARGS may hold `id` twice), keyed
 * case-insensitively where the reference engines do (headers, TX), plus single variables seen as
 * one-entry collections. Values are byte strings (latin1).
 */
export interface Entry {
  /** The key as it arrived (for MATCHED_VAR_NAME and exclusions). */
  readonly key: string
  readonly value: string
}

export class Collection {
  readonly #entries: Entry[] = []
  readonly #caseInsensitive: boolean

  constructor(caseInsensitive: boolean) {
    this.#caseInsensitive = caseInsensitive
  }

  #normal(key: string): string {
    return this.#caseInsensitive ? key.toLowerCase() : key
  }

  add(key: string, value: string): void {
    this.#entries.push({ key, value })
  }

  /** Replaces every value under `key` by one. */
  set(key: string, value: string): void {
    this.remove(key)
    this.#entries.push({ key, value })
  }

  remove(key: string): void {
    const normal = this.#normal(key)
    for (let i = this.#entries.length - 1; i >= 0; i--) if (this.#normal(this.#entries[i]?.key ?? '') === normal) this.#entries.splice(i, 1)
  }

  get(key: string): Entry[] {
    const normal = this.#normal(key)
    return this.#entries.filter((e) => this.#normal(e.key) === normal)
  }

  first(key: string): string | undefined {
    const normal = this.#normal(key)
    return this.#entries.find((e) => this.#normal(e.key) === normal)?.value
  }

  all(): readonly Entry[] {
    return this.#entries
  }

  matching(test: (key: string) => boolean): Entry[] {
    return this.#entries.filter((e) => test(e.key))
  }

  get size(): number {
    return this.#entries.length
  }

  /** Whether keys compare case-insensitively (regex selectors then match the lower-case key). */
  get caseInsensitive(): boolean {
    return this.#caseInsensitive
  }
}
