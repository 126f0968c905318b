/**
 * English prose as people write it in reviews, support tickets and profiles: quotes, apostrophes,
 * double dashes, semicolons, parentheses and ellipses; "select", "update", "delete", "union",
 * "order by", "drop" and "insert" as ordinary words; and the code-ish things tickets carry —
 * file paths, commands mentioned in a sentence, Markdown, URLs, e-mail addresses. Our own
 * templates, filled with faker's names, products and addresses.
 */
import type { Faker, TextSource } from './waf-benign-text.js'

type Fill = (f: Faker) => string

const user = (f: Faker) => f.internet.username().toLowerCase().replace(/[^a-z0-9]/g, '')

/** Sentences of plain prose, SQL words used as ordinary words among them. */
const SENTENCES: readonly Fill[] = [
  () => 'Select the best option from the list and update your profile.',
  () => "Union members get 10% off; order by Friday and it'll arrive before the holidays.",
  () => 'Can you sort the results by date (newest first) and then by name? Right now "order by" only works on one column.',
  () => 'Where\'s the "Select all" checkbox? I\'d like to delete 200 old drafts at once.',
  () => "It's 5 o'clock and the drop-off window closes at 6 -- can the courier still pick it up?",
  () => 'Our CTO said: "If it isn\'t in the docs, it doesn\'t exist." Fair enough; where are the docs for /v2/orders?',
  () => 'Update: the problem\'s gone after I cleared the cache (Ctrl+Shift+R). Thanks!',
  () => "I can't select more than one option -- is that by design?",
  () => 'Table of contents: 1. Introduction; 2. Setup; 3. Where to go from here...',
  () => "Don't forget: the 'from' and 'to' dates are inclusive, so select them carefully.",
  () => "Rock 'n' roll isn't dead; it's just resting.",
  () => "The 'Delete' and 'Update' buttons are too close together; I've deleted the wrong item twice.",
  () => 'Insert the SIM card, then select "Settings > Network" and update the APN.',
  () => "O'Brien & Sons, Ltd. -- 'the best in town' since 1952.",
  () => 'Can\'t open the PDF; it says "file is damaged or not supported".',
  () => "What's the difference between the 'Select' and 'Premium' plans? Is there a free trial -- 14 days or 30?",
  () => "We can't drop support for IE11 yet -- about 3% of our users (mostly banks) still use it.",
  () => 'Please delete the duplicate entries from my order history, and update the invoice too.',
  () => 'You can select from three sizes: small, medium or large -- the large one is sold out.',
  () => 'Is there a way to exclude weekends? E.g. "every day except Sat/Sun" for the reminders.',
  () => "Our Q3 numbers: revenue up 12%; churn down 0.5 pts -- see the attached deck (slides 4-7).",
  () => 'Step 1: select your country. Step 2: enter your tax ID (e.g. DE123456789). Step 3: click "Update".',
  (f) => `Please don't delete my account -- I just want to update the billing address; the old one's wrong (it still says ${f.location.city()}).`,
  (f) => `I tried to drop the ${f.commerce.productName()} from my order, but the page said "nothing to update"... any idea why?`,
  (f) => `My colleague ${f.person.fullName()} <${f.internet.email()}> can't log in since yesterday's update; she gets "Error 403 -- forbidden" on ${f.internet.url()}.`,
  (f) => `We'd like to join the beta; who's the right person to contact? (Our team lead is ${f.person.fullName()}.)`,
  (f) => `Please update the shipping address to ${f.location.streetAddress()}, ${f.location.city()} ${f.location.zipCode()}; the previous one (on Oak St.) is wrong.`,
  (f) => `Drop me a line at ${f.internet.email()} if you need anything else -- happy to help!`,
  (f) => `The union of the two sets is larger than I'd expect; shouldn't it be ${f.number.int({ min: 10, max: 999 })}?`,
  (f) => `${f.commerce.productDescription()} -- I'd buy it again, 5/5.`,
  (f) => `We're moving from ${f.company.name()} to your platform; how do I import my contacts (CSV, ~2,000 rows)?`,
  (f) => `Order #${f.number.int({ min: 10000, max: 99999 })} arrived damaged; the box was crushed (photos attached). What's next?`,
  (f) => `Hi team, ${f.person.firstName()} here. I'd like to update my e-mail from ${f.internet.email()} to ${f.internet.email()}; is that possible?`,
  (f) => `The "${f.commerce.productName()}" doesn't fit: it's 2 in. too wide... I'll return it.`,
  (f) => `${f.person.firstName()}'s feedback: "Great support; they answered within an hour!"`,
  (f) => `Meeting notes (${f.date.recent().toDateString()}): agreed to drop the legacy endpoint; ${f.person.firstName()} will update the docs.`,
]

/** Sentences with the code-ish things support tickets carry: commands, paths, Markdown, links. */
const TECHNICAL: readonly Fill[] = [
  (f) => `The file is at C:\\Users\\${user(f)}\\Documents\\report-2025.xlsx -- I've attached a copy.`,
  () => 'Steps: 1) run `npm install` 2) run `npm run build` 3) open http://localhost:3000 -- the page is blank.',
  () => 'I ran `git pull origin main` and then `docker compose up -d`; the container exits with code 1.',
  (f) => `Logs are in /var/log/${f.word.noun().toLowerCase()}/error.log; the last lines say "connection refused".`,
  () => '## Expected\nThe **Save** button should update the record.\n\n## Actual\nNothing happens -- see the screenshot below.\n\n![screenshot](https://i.imgur.com/Xk3pQ9r.png)',
  (f) => `I'm on version ${f.system.semver()} of the CLI. Running \`./deploy.sh --env=staging\` fails with "permission denied".`,
  (f) => `See https://github.com/${user(f)}/${f.word.noun().toLowerCase()}/issues/${f.number.int({ min: 1, max: 4000 })} -- same bug, I think.`,
  () => 'Formatting tip: use **bold**, _italic_ and [links](https://example.com/docs?page=2&lang=en) in comments.',
  () => "Where can I change my password? I don't see it under Settings -> Security.",
  () => "I tried `curl -X POST https://api.example.com/v1/orders -H 'Content-Type: application/json'` and got a 401.",
  () => "The script in ~/bin/backup.sh runs every night at 2am via cron; since Monday it doesn't.",
  (f) => `Commit message was "${f.git.commitMessage()}" -- the build broke right after it.`,
  () => 'Tried it on Windows 11 (PowerShell 7.4): `Get-ChildItem -Recurse | Where-Object Length -gt 1MB` works, the app doesn\'t.',
  () => 'The config lives in /etc/nginx/sites-enabled/default; after `sudo systemctl reload nginx` the 502s stopped.',
]

const QUERIES: readonly Fill[] = [
  () => 'select all drafts',
  () => 'how to delete my account',
  () => 'union station parking',
  () => "where's my refund?",
  () => 'order by date',
  () => 'drop-off locations near me',
  () => 'update billing address',
  () => "women's running shoes size 8",
  () => 'rock & roll vinyl',
  () => 'insert tab excel',
  () => 'c++ vs rust',
  () => 'node.js "hello world"',
  () => 'best coffee -- not instant',
  (f) => f.commerce.productName(),
  (f) => `${f.commerce.department()} under $50`,
  (f) => `"${f.person.lastName()}" invoice 2025`,
  (f) => f.location.city(),
  () => 'error 0x80070005 access denied',
]

/** English prose for the text families. */
export class EnglishProse implements TextSource {
  readonly tag = 'en-US'
  readonly #faker: Faker

  constructor(faker: Faker) {
    this.#faker = faker
  }

  name(): string {
    const f = this.#faker
    return f.helpers.arrayElement([() => f.person.fullName(), () => `${f.person.firstName()} O'${f.person.lastName()}`, () => `${f.person.firstName()} "${f.word.adjective()}" ${f.person.lastName()}`, () => `${f.person.lastName()}-${f.person.lastName()}, ${f.person.firstName()}`])()
  }

  address(): { street: string; city: string; postalCode: string; country: string } {
    const f = this.#faker
    return { street: f.helpers.arrayElement([f.location.streetAddress(), `${f.location.streetAddress()}, Apt. #${f.number.int({ min: 1, max: 40 })}`, `c/o ${f.company.name()}, ${f.location.streetAddress()}`]), city: f.location.city(), postalCode: f.location.zipCode(), country: f.location.country() }
  }

  company(): string {
    return this.#faker.company.name()
  }

  query(): string {
    return this.#faker.helpers.arrayElement(QUERIES)(this.#faker)
  }

  /** One to three sentences; about one in six is a technical one, as in a support inbox. */
  comment(): string {
    const f = this.#faker
    const sentences = Array.from({ length: f.number.int({ min: 1, max: 3 }) }, () => this.#sentence())
    return sentences.join(f.helpers.arrayElement([' ', '\n', '\n\n']))
  }

  title(): string {
    return this.#sentence().split(/(?<=[.?!])\s/)[0] ?? ''
  }

  #sentence(): string {
    const f = this.#faker
    return f.helpers.arrayElement(f.datatype.boolean(1 / 6) ? TECHNICAL : SENTENCES)(f)
  }
}
