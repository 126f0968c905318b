/**
 * The changelog between two versions of an API, from a pluggable comparison of their documents
 * (`portcullis diff`'s engine, wired in by whoever builds the site): the portal renders whatever
 * entries it returns, and says so when there is no comparison.
 */

/** One change between two documents, as the diff engine reports it. */
export interface ChangeEntry {
  /** `error` breaks existing clients, `warning` may break some, `info` is compatible. */
  readonly level: 'error' | 'warning' | 'info'
  readonly message: string
  /** `METHOD /path`, absent for document-wide changes. */
  readonly operation?: string
}

/** Compares two OpenAPI documents by path; throws when one cannot be read. */
export type ChangelogSource = (oldDocument: string, newDocument: string) => readonly ChangeEntry[]
