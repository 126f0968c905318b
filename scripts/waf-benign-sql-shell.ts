/**
 * The `sql-shell-looking` family: fields whose legitimate values look like SQL or shell — SQL
 * statements sent to BI and warehouse APIs, search syntaxes (Lucene, KQL, JQL), OData `$filter`,
 * cron expressions, CI job scripts, regular expressions, Markdown comments with code blocks, SQL
 * migration files uploaded as multipart. A gateway in front of such an API is expected to need
 * per-field exclusions for raw SQL fields, so the family is reported on its own. Our own templates.
 */
import type { CorpusBuilder, DraftRequest } from './waf-benign-build.js'
import { formBody, multipartBody, queryString } from './waf-benign-build.js'
import { clientHeaders } from './waf-benign-client.js'
import type { Faker } from './waf-benign-text.js'
import type { Placement } from './waf-corpus-format.js'

const json = (properties: Record<string, object> = {}) => ({ required: true, content: { 'application/json': { schema: { type: 'object', properties } } } })
const string = (maxLength: number) => ({ type: 'string', maxLength })
const query = (...names: string[]) => names.map((name) => ({ name, in: 'query', schema: { type: 'string' } }))

const DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'Data, search and CI APIs (benign corpus)', version: '1.0.0' },
  paths: {
    '/api/2.0/sql/statements': { post: { operationId: 'executeStatement', requestBody: json({ statement: string(100000), sql: string(100000), warehouse_id: string(64), catalog: string(255), schema: string(255) }) } },
    '/api/dataset': { post: { operationId: 'runNativeQuery', requestBody: json({ database: { type: 'integer' }, type: { enum: ['native', 'query'] }, native: { type: 'object', properties: { query: string(100000) } } }) } },
    '/rest/api/2/search': { get: { operationId: 'jiraSearch', parameters: query('jql', 'fields', 'maxResults') } },
    '/api/logs/search': { get: { operationId: 'logSearch', parameters: query('q', 'from', 'size') } },
    '/logs/_search': { post: { operationId: 'elasticSearch', requestBody: json({ query: { type: 'object' }, size: { type: 'integer' } }) } },
    '/odata/v4/{entitySet}': { get: { operationId: 'odataQuery', parameters: [{ name: 'entitySet', in: 'path', required: true, schema: { type: 'string' } }, ...query('$filter', '$orderby', '$select', '$top', '$expand', '$search', '$count')] } },
    '/api/v1/schedules': { post: { operationId: 'createSchedule', requestBody: json({ name: string(200), cron: string(100), timezone: string(64), command: string(10000), enabled: { type: 'boolean' } }) } },
    '/api/v4/ci/lint': { post: { operationId: 'ciLint', requestBody: json({ content: string(1000000) }) } },
    '/api/v1/jobs': { post: { operationId: 'createJob', requestBody: json({ name: string(200), image: string(255), before_script: { type: 'array', items: string(10000) }, script: string(10000), variables: { type: 'object', additionalProperties: { type: 'string' } }, timeout: string(20) }) } },
    '/job/{name}/buildWithParameters': { post: { operationId: 'jenkinsBuild', parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' } } } } } },
    '/api/v1/rules': { post: { operationId: 'createRule', requestBody: json({ name: string(200), pattern: string(1000), flags: string(10), replacement: string(1000) }) } },
    '/api/v1/snippets': { post: { operationId: 'createSnippet', requestBody: json({ title: string(300), content: string(100000), visibility: { enum: ['private', 'internal', 'public'] } }) } },
    '/api/v1/migrations': { post: { operationId: 'uploadMigration', requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' }, description: { type: 'string' } } } } } } } },
  },
} as const

type Fill = (f: Faker) => string
const pick = (f: Faker, fills: readonly Fill[]) => f.helpers.arrayElement(fills)(f)
const year = (f: Faker) => f.number.int({ min: 2019, max: 2026 })

const SQL: readonly Fill[] = [
  (f) => `SELECT region, SUM(amount) FROM sales WHERE year = ${year(f)} GROUP BY region`,
  (f) => `SELECT u.id, u.email, COUNT(o.id) AS orders\nFROM users u\nLEFT JOIN orders o ON o.user_id = u.id\nWHERE u.created_at >= '${year(f)}-01-01'\nGROUP BY u.id, u.email\nHAVING COUNT(o.id) > 3\nORDER BY orders DESC`,
  () => "SELECT * FROM events WHERE event_type IN ('click', 'view') AND ts BETWEEN :start AND :end LIMIT 1000",
  () => "WITH monthly AS (\n  SELECT date_trunc('month', created_at) AS month, count(*) AS n FROM signups GROUP BY 1\n)\nSELECT month, n, n - lag(n) OVER (ORDER BY month) AS delta FROM monthly",
  (f) => `SELECT product_name, price FROM products WHERE name LIKE '%${f.word.noun().toLowerCase()}%' ORDER BY price ASC`,
  () => "SELECT country, AVG(session_length) FROM sessions WHERE country <> 'US' GROUP BY country\nUNION ALL\nSELECT 'US', AVG(session_length) FROM sessions WHERE country = 'US'",
  (f) => `INSERT INTO audit_notes (ticket_id, note) VALUES (${f.number.int({ min: 100, max: 9999 })}, 'Customer asked to update the address')`,
  (f) => `UPDATE dashboards SET title = 'Q${f.number.int({ min: 1, max: 4 })} revenue' WHERE id = ${f.number.int({ min: 1, max: 500 })}`,
  () => 'CREATE TABLE IF NOT EXISTS daily_totals AS\nSELECT order_date::date AS day, sum(total) AS total FROM orders GROUP BY 1',
  () => "SELECT CAST(amount AS DECIMAL(10,2)) AS amount, COALESCE(discount, 0) AS discount FROM invoices WHERE status = 'paid' -- only settled invoices",
  () => 'SELECT id, email FROM users WHERE deleted_at IS NULL;',
  () => "DELETE FROM staging_events WHERE loaded_at < now() - interval '7 days'",
  () => 'SELECT /* dashboard: revenue */ sum(total) AS revenue FROM orders WHERE status != \'cancelled\'',
  () => "SELECT json_extract(payload, '$.user.id') AS uid, count(*) FROM raw_events GROUP BY 1 ORDER BY 2 DESC LIMIT 20",
  () => 'SELECT TOP 10 CustomerID, CompanyName FROM Customers ORDER BY CompanyName',
  (f) => `SELECT * FROM orders WHERE customer_id = ? AND created_at > DATEADD(day, -${f.number.int({ min: 7, max: 90 })}, GETDATE())`,
]

const SEARCH: readonly Fill[] = [
  () => 'status:open AND assignee = currentUser() ORDER BY created DESC',
  () => 'status:open AND priority:[3 TO 5]',
  () => 'response:404 AND NOT url.path:/health*',
  () => 'message:"connection refused" OR message:"timed out"',
  () => 'host.name: web-* and http.response.status_code >= 500',
  () => 'user.name:"o\'brien" AND event.action:login',
  () => '_exists_:error.stack AND service.name:(checkout OR payments)',
  () => 'title:(quick OR brown) AND -draft',
  (f) => `kubernetes.namespace : "prod" and not log.level : (debug or info) and @timestamp > "${year(f)}-11-01"`,
]

const JQL: readonly Fill[] = [
  () => 'project = WEB AND status = "In Progress" AND assignee = currentUser() ORDER BY created DESC',
  () => 'labels in (backend, api) AND updated >= -7d ORDER BY priority DESC, updated DESC',
  () => 'text ~ "login fails" AND priority in (High, Highest)',
  () => 'sprint in openSprints() AND issuetype = Bug AND resolution = Unresolved',
  (f) => `reporter = "${f.internet.email()}" AND created >= startOfMonth()`,
]

const ODATA: readonly [string, string][][] = [
  [['$filter', "Price lt 10 and Name eq 'Milk'"]],
  [['$filter', "startswith(CompanyName, 'Alfr') and Country eq 'Germany'"], ['$orderby', 'OrderDate desc'], ['$select', 'OrderID,ShipName'], ['$top', '10']],
  [['$filter', "contains(tolower(Subject), 'invoice') and ReceivedDateTime ge 2025-01-01T00:00:00Z"], ['$count', 'true']],
  [['$expand', 'Orders($filter=Freight gt 100;$select=OrderID)'], ['$top', '20']],
  [['$search', '"pizza"'], ['$select', 'Name,Description']],
  [['$filter', "Status in ('Open', 'Pending') and not endswith(Email, '@example.com')"], ['$orderby', 'CreatedAt desc,Id']],
]

const CRON = ['0 */6 * * 1-5', '30 2 * * *', '*/15 * * * *', '0 0 1 * *', '@daily', '0 9 * * MON-FRI', '0 0 * * 0', '5 4 * * sun']

const SHELL: readonly Fill[] = [
  () => 'npm ci && npm test',
  () => 'pip install -r requirements.txt && pytest -q',
  () => './gradlew build --no-daemon',
  () => 'docker build -t registry.example.com/app:$CI_COMMIT_SHA . && docker push registry.example.com/app:$CI_COMMIT_SHA',
  () => 'make -j$(nproc) && make install',
  () => 'rm -rf node_modules dist && npm ci',
  () => 'echo "Deploying to $ENVIRONMENT" && kubectl apply -f k8s/',
  () => 'find . -name "*.log" -mtime +7 -delete',
  () => 'tar -czf backup-$(date +%F).tar.gz /var/lib/app/data',
  () => 'psql "$DATABASE_URL" -c "SELECT 1"',
  () => 'bundle exec rake db:migrate',
  () => 'go test ./... -race -count=1',
  () => 'cargo build --release',
  () => 'python manage.py migrate --noinput',
  () => 'cat /etc/os-release; uname -a',
]

const REGEX = ['^[A-Z]{2}\\d{2}[A-Z0-9]{11,30}$', '^(?:\\+?1[-. ]?)?\\(?([0-9]{3})\\)?[-. ]?([0-9]{3})[-. ]?([0-9]{4})$', '(?i)error|fail(ed|ure)?', '\\b\\d{3}-\\d{2}-\\d{4}\\b', '^[\\w.+-]+@[\\w-]+\\.[\\w.]+$', '/api/v[0-9]+/users/[^/]+', '^.*\\.(jpg|jpeg|png|gif)$', '\\$\\{[A-Z_]+\\}']

const SNIPPETS: readonly Fill[] = [
  () => "Try this:\n```sql\nSELECT * FROM orders WHERE status = 'open';\n```\nIt should return the open ones.",
  () => 'Add this to your profile:\n```bash\nexport PATH=$HOME/.local/bin:$PATH\nsource ~/.bashrc\n```',
  () => 'Use `<div class="row">` instead of a table, and `display: grid` for the layout.',
  () => "```js\nconst res = await fetch('/api/items?sort=-created&limit=20');\nconst items = await res.json();\n```",
  () => '```python\nfor row in cursor.execute("SELECT id, name FROM users WHERE active = 1"):\n    print(row)\n```',
  () => 'The fix: `git revert HEAD~1 && git push origin main` -- then redeploy.',
  () => '```yaml\nservices:\n  db:\n    image: postgres:16\n    command: ["postgres", "-c", "log_statement=all"]\n```',
]

type Shape = Pick<DraftRequest, 'method' | 'template' | 'operationId' | 'params' | 'query' | 'body'> & { placement: Placement; contentType?: string; source: string }
type Make = (f: Faker) => Shape

const post = (template: string, operationId: string, source: string, value: unknown): Shape => ({ method: 'POST', template, operationId, placement: 'json', source, contentType: 'application/json', body: JSON.stringify(value) })

const SHAPES: readonly Make[] = [
  (f) => post('/api/2.0/sql/statements', 'executeStatement', 'generated:sql', { statement: pick(f, SQL), warehouse_id: f.string.hexadecimal({ length: 16, casing: 'lower', prefix: '' }), catalog: 'main', schema: 'analytics', wait_timeout: '30s', parameters: [{ name: 'start', value: '2025-01-01', type: 'DATE' }] }),
  (f) => post('/api/2.0/sql/statements', 'executeStatement', 'generated:sql', { sql: pick(f, SQL), format: 'JSON_ARRAY' }),
  (f) => post('/api/dataset', 'runNativeQuery', 'generated:sql', { database: f.number.int({ min: 1, max: 9 }), type: 'native', native: { query: pick(f, SQL), 'template-tags': {} } }),
  (f) => ({ method: 'GET', template: '/rest/api/2/search', operationId: 'jiraSearch', placement: 'query', source: 'generated:jql', query: queryString([['jql', pick(f, JQL)], ['fields', 'summary,status,assignee'], ['maxResults', '50']], f.datatype.boolean() ? 'form' : 'percent') }),
  (f) => ({ method: 'GET', template: '/api/logs/search', operationId: 'logSearch', placement: 'query', source: 'generated:lucene-kql', query: queryString([['q', pick(f, SEARCH)], ['from', 'now-24h'], ['size', '100']], f.datatype.boolean() ? 'form' : 'percent') }),
  (f) => post('/logs/_search', 'elasticSearch', 'generated:lucene-kql', { query: { bool: { must: [{ query_string: { query: pick(f, SEARCH), default_field: 'message' } }], filter: [{ range: { '@timestamp': { gte: 'now-1d/d', lt: 'now/d' } } }] } }, sort: [{ '@timestamp': 'desc' }], size: 50 }),
  (f) => ({ method: 'GET', template: '/odata/v4/{entitySet}', operationId: 'odataQuery', params: { entitySet: f.helpers.arrayElement(['Products', 'Orders', 'Customers', 'Messages']) }, placement: 'query', source: 'generated:odata', query: queryString(f.helpers.arrayElement(ODATA), 'percent') }),
  (f) => post('/api/v1/schedules', 'createSchedule', 'generated:cron', { name: `nightly ${f.word.noun()} export`, cron: f.helpers.arrayElement(CRON), timezone: f.location.timeZone(), command: pick(f, SHELL), enabled: true }),
  (f) => post('/api/v4/ci/lint', 'ciLint', 'generated:ci-script', { content: `stages: [build, test]\n\nbuild:\n  stage: build\n  image: node:20\n  script:\n    - ${pick(f, SHELL)}\n\ntest:\n  stage: test\n  script:\n    - ${pick(f, SHELL)}\n  rules:\n    - if: '$CI_PIPELINE_SOURCE == "merge_request_event"'\n` }),
  (f) => post('/api/v1/jobs', 'createJob', 'generated:ci-script', { name: `${f.word.noun()}-build`, image: f.helpers.arrayElement(['node:20-alpine', 'python:3.12-slim', 'golang:1.23']), before_script: [pick(f, SHELL)], script: pick(f, SHELL), variables: { NODE_ENV: 'test', DATABASE_URL: 'postgres://ci:ci@db:5432/test' }, timeout: '30m' }),
  (f) => ({ method: 'POST', template: '/job/{name}/buildWithParameters', operationId: 'jenkinsBuild', params: { name: `${f.word.noun().toLowerCase()}-deploy` }, placement: 'form', source: 'generated:ci-script', contentType: 'application/x-www-form-urlencoded', body: formBody({ BRANCH: f.helpers.arrayElement(['main', 'release/2.4', `feature/${f.word.noun().toLowerCase()}`]), COMMAND: pick(f, SHELL), DRY_RUN: f.datatype.boolean() }) }),
  (f) => post('/api/v1/rules', 'createRule', 'generated:regex', { name: `${f.word.adjective()} matcher`, pattern: f.helpers.arrayElement(REGEX), flags: 'i', replacement: '[redacted]' }),
  (f) => post('/api/v1/snippets', 'createSnippet', 'generated:markdown-code', { title: `How to ${f.hacker.phrase().split(' ').slice(0, 4).join(' ')}`, content: pick(f, SNIPPETS), visibility: 'internal' }),
  (f) => {
    const { body, contentType } = multipartBody(
      [
        { name: 'description', value: `Add ${f.word.noun()} table` },
        { name: 'file', value: `-- ${f.git.commitMessage()}\nCREATE TABLE ${f.word.noun().toLowerCase()}s (\n  id bigserial PRIMARY KEY,\n  name text NOT NULL,\n  created_at timestamptz DEFAULT now()\n);\nCREATE INDEX ON ${f.word.noun().toLowerCase()}s (name);\n`, filename: `00${f.number.int({ min: 10, max: 99 })}_create_table.sql`, contentType: 'application/sql' },
      ],
      f.string.alphanumeric(16),
    )
    return { method: 'POST', template: '/api/v1/migrations', operationId: 'uploadMigration', placement: 'multipart', source: 'generated:sql-file', contentType, body }
  },
]

/** Adds `count` requests with SQL-, search-, cron- and shell-looking fields. */
export function sqlShellRequests(builder: CorpusBuilder, random: Faker, count: number): void {
  const api = 'data-platform'
  builder.addApi(api, DOCUMENT)
  for (let attempt = 0, added = 0; added < count && attempt < count * 3; attempt++) {
    const { contentType, ...shape } = random.helpers.arrayElement(SHAPES)(random)
    const headers = clientHeaders(random)
    if (contentType !== undefined) headers.push(['content-type', contentType])
    if (builder.add({ ...shape, class: 'sql-shell-looking', api, headers })) added++
  }
}
