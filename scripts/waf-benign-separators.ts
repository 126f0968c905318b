/**
 * The `encoded-separators` family: path segments that carry an encoded `/` or `\` because the API
 * says so — an Azure resource id as one segment, OPA policy ids and data paths, GitLab project ids
 * and file paths (`/projects/group%2Fsubgroup%2Fproject`), Cloud Storage object names, RabbitMQ's
 * default virtual host `%2F`, scoped npm packages (`@babel%2fcore`), AWS ARNs in API Gateway and
 * Lambda tag paths, Windows account and file names with `%5C`. Our own templates of public APIs.
 */
import type { CorpusBuilder, DraftRequest } from './waf-benign-build.js'
import { queryString } from './waf-benign-build.js'
import { clientHeaders } from './waf-benign-client.js'
import type { Faker } from './waf-benign-text.js'

const segment = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } })
const get = (operationId: string, params: readonly string[], query: readonly string[] = []) => ({ get: { operationId, parameters: [...params.map(segment), ...query.map((name) => ({ name, in: 'query', schema: { type: 'string' } }))] } })

const DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'Encoded separators in path segments (benign corpus)', version: '1.0.0' },
  paths: {
    '/v1/resources/{resourceId}/metrics': get('azureMetrics', ['resourceId'], ['metricnames', 'timespan', 'interval', 'api-version']),
    '/v1/policies/{id}': {
      ...get('opaGetPolicy', ['id']),
      put: { operationId: 'opaPutPolicy', parameters: [segment('id')], requestBody: { required: true, content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
    '/v1/data/{path}': { post: { operationId: 'opaQuery', parameters: [segment('path')], requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } } } },
    '/api/v4/projects/{id}/repository/files/{filePath}': get('gitlabFile', ['id', 'filePath'], ['ref']),
    '/api/v4/projects/{id}/merge_requests': get('gitlabMergeRequests', ['id'], ['state', 'target_branch']),
    '/storage/v1/b/{bucket}/o/{object}': get('gcsObject', ['bucket', 'object'], ['alt', 'generation']),
    '/api/queues/{vhost}/{name}': get('rabbitQueue', ['vhost', 'name']),
    '/registry/{package}': get('npmPackage', ['package']),
    '/restapis/tags/{resourceArn}': get('awsTags', ['resourceArn']),
    '/directory/users/{account}': get('windowsAccount', ['account']),
    '/shares/files/{path}': get('windowsFile', ['path'], ['version']),
  },
} as const

type Shape = Pick<DraftRequest, 'method' | 'template' | 'operationId' | 'params' | 'rawParams' | 'query' | 'body'> & { contentType?: string; source: string }
type Make = (f: Faker) => Shape

const word = (f: Faker) => f.word.noun().toLowerCase().replace(/[^a-z0-9]/g, '') || 'app'
const PROVIDERS = ['Microsoft.Compute/virtualMachines/vm-web-0', 'Microsoft.Web/sites/app-', 'Microsoft.Storage/storageAccounts/st', 'Microsoft.Sql/servers/sql-main/databases/db-', 'Microsoft.Network/networkSecurityGroups/nsg-', 'Microsoft.ContainerService/managedClusters/aks-']

const SHAPES: readonly Make[] = [
  (f) => ({
    source: 'generated:azure-resource-id',
    method: 'GET',
    template: '/v1/resources/{resourceId}/metrics',
    operationId: 'azureMetrics',
    params: { resourceId: `/subscriptions/${f.string.uuid()}/resourceGroups/rg-${word(f)}-prod/providers/${f.helpers.arrayElement(PROVIDERS)}${f.number.int({ min: 1, max: 9 })}` },
    query: queryString([['metricnames', f.helpers.arrayElement(['Percentage CPU', 'Requests,Http5xx', 'dtu_consumption_percent'])], ['timespan', 'PT1H'], ['interval', 'PT5M'], ['api-version', '2023-10-01']], 'percent'),
  }),
  (f) => ({ source: 'generated:opa-policy-id', method: 'GET', template: '/v1/policies/{id}', operationId: 'opaGetPolicy', params: { id: `${word(f)}/authz/${f.helpers.arrayElement(['http', 'kafka', 'kubernetes'])}` } }),
  (f) => ({
    source: 'generated:opa-policy-id',
    method: 'PUT',
    template: '/v1/policies/{id}',
    operationId: 'opaPutPolicy',
    params: { id: `${word(f)}/authz` },
    contentType: 'text/plain',
    body: `package ${word(f)}.authz\n\nimport rego.v1\n\ndefault allow := false\n\nallow if {\n\tinput.method == "GET"\n\tinput.path == ["finance", "salary", input.user]\n}\n\nallow if {\n\tsome role in data.roles[input.user]\n\trole == "admin"\n}\n`,
  }),
  (f) => ({ source: 'generated:opa-data-path', method: 'POST', template: '/v1/data/{path}', operationId: 'opaQuery', params: { path: `${word(f)}/authz/allow` }, contentType: 'application/json', body: JSON.stringify({ input: { method: 'GET', path: ['orders', f.string.numeric(5)], user: f.internet.username() } }) }),
  (f) => {
    const file = f.helpers.arrayElement(['src/main.ts', 'docs/getting-started.md', '.gitlab-ci.yml', 'config/locales/de.yml', `app/models/${word(f)}.rb`, 'README.md'])
    return { source: 'generated:gitlab-project-path', method: 'GET', template: '/api/v4/projects/{id}/repository/files/{filePath}', operationId: 'gitlabFile', params: { id: `${word(f)}/${word(f)}/${word(f)}-service`, filePath: file }, query: `ref=${f.helpers.arrayElement(['main', 'develop', `feature%2F${word(f)}`])}` }
  },
  (f) => ({ source: 'generated:gitlab-project-path', method: 'GET', template: '/api/v4/projects/{id}/merge_requests', operationId: 'gitlabMergeRequests', params: { id: `${word(f)}/${word(f)}` }, query: 'state=opened&target_branch=main' }),
  (f) => ({
    source: 'generated:object-storage-key',
    method: 'GET',
    template: '/storage/v1/b/{bucket}/o/{object}',
    operationId: 'gcsObject',
    params: { bucket: `${word(f)}-assets`, object: f.helpers.arrayElement([`photos/2025/0${f.number.int({ min: 1, max: 9 })}/beach day (1).jpg`, `exports/${f.date.recent().toISOString().slice(0, 10)}/orders.csv`, `users/${f.string.uuid()}/avatar.png`, `backups/db/${word(f)}.sql.gz`, f.system.filePath().slice(1)]) },
    query: 'alt=media',
  }),
  (f) => ({ source: 'generated:rabbitmq-vhost', method: 'GET', template: '/api/queues/{vhost}/{name}', operationId: 'rabbitQueue', params: { vhost: f.helpers.arrayElement(['/', '/', 'prod/orders']), name: `${word(f)}.events` } }),
  (f) => {
    const name = `@${f.helpers.arrayElement(['babel', 'types', 'aws-sdk', 'nestjs', 'angular'])}/${f.helpers.arrayElement(['core', 'node', 'client-s3', 'common', 'cli'])}`
    return { source: 'generated:npm-scoped-package', method: 'GET', template: '/registry/{package}', operationId: 'npmPackage', rawParams: { package: f.datatype.boolean() ? name.replace('/', '%2f') : encodeURIComponent(name) } }
  },
  (f) => ({
    source: 'generated:aws-arn',
    method: 'GET',
    template: '/restapis/tags/{resourceArn}',
    operationId: 'awsTags',
    params: { resourceArn: f.helpers.arrayElement([`arn:aws:apigateway:us-east-1::/restapis/${f.string.alphanumeric(10).toLowerCase()}/stages/prod`, `arn:aws:lambda:eu-west-1:${f.string.numeric(12)}:function:${word(f)}-handler`, `arn:aws:s3:::${word(f)}-logs/2025/*`]) },
  }),
  (f) => ({ source: 'generated:windows-account', method: 'GET', template: '/directory/users/{account}', operationId: 'windowsAccount', params: { account: `${f.helpers.arrayElement(['CORP', 'EMEA', 'ACME-AD'])}\\${f.internet.username().toLowerCase()}` } }),
  (f) => ({
    source: 'generated:windows-path',
    method: 'GET',
    template: '/shares/files/{path}',
    operationId: 'windowsFile',
    params: { path: f.helpers.arrayElement([`C:\\Users\\${f.person.firstName().toLowerCase()}\\Documents\\Q3 report.docx`, `\\\\fileserver01\\share\\${word(f)}\\invoice-${f.string.numeric(5)}.pdf`, `D:\\Projects\\${word(f)}\\build\\output.log`]) },
    query: `version=${f.number.int({ min: 1, max: 12 })}`,
  }),
]

/** Adds `count` requests whose path segments carry encoded separators. */
export function separatorRequests(builder: CorpusBuilder, random: Faker, count: number): void {
  const api = 'encoded-separators'
  builder.addApi(api, DOCUMENT)
  for (let attempt = 0, added = 0; added < count && attempt < count * 3; attempt++) {
    const { contentType, source, ...shape } = random.helpers.arrayElement(SHAPES)(random)
    const headers = clientHeaders(random, { kind: 'sdk' })
    if (contentType !== undefined) headers.push(['content-type', contentType])
    const segments = [...Object.values(shape.params ?? {}), ...Object.values(shape.rawParams ?? {}).map((value) => decodeURIComponent(value))]
    const payload = segments.find((segment) => /[/\\]/.test(segment))
    if (builder.add({ ...shape, class: 'encoded-separators', placement: 'path', source, api, headers, ...(payload === undefined ? {} : { payload }) })) added++
  }
}
