/** Which operations the scan never calls: those that reset or seed state or end its session; password resets and ordinary writes are called. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { OperationView } from '../../src/audit/operations.js'
import { isExcluded, isStateResetting } from '../../src/scan/operation-safety.js'

const op = (method: string, path: string, operationId?: string, summary?: string): OperationView => ({ method, pathTemplate: path, operation: { ...(operationId === undefined ? {} : { operationId }), ...(summary === undefined ? {} : { summary }) }, path: [], security: undefined, parameters: [], requestBodies: [], responses: [] })

const CASES: [boolean, string, string, string?, string?][] = [
  [true, 'get', '/createdb', undefined, 'Creates and populates the database with dummy data'],
  [true, 'get', '/create_db'], [true, 'post', '/admin/createDB'], [true, 'post', '/api/db/create', undefined, 'Creates the database tables'],
  [true, 'get', '/setup', undefined, 'Set up the database with sample data'], [true, 'post', '/load-fixtures'],
  [true, 'post', '/restore', undefined, 'Restore the default data'], [true, 'post', '/clear', undefined, 'Clear all data'],
  [true, 'delete', '/users/deleteAll'], [true, 'post', '/demo/reset-secrets'], [true, 'post', '/db/email-templates/reset'],
  [true, 'get', '/setup/reset'], [true, 'post', '/maintenance/purge'], [true, 'get', '/logout'], [true, 'post', '/auth/sign-out'],
  [false, 'post', '/users/v1/{username}/password'], [false, 'post', '/password/reset'], [false, 'post', '/auth/forgot-password'],
  [false, 'get', '/books/v1'], [false, 'post', '/books/v1', undefined, 'Add new book'], [false, 'get', '/users/v1', undefined, 'Retrieves all users'],
  [false, 'get', '/me', undefined, 'Displays the user information'], [false, 'post', '/notes', 'createNote', 'Create a note'],
  [false, 'get', '/datasets'], [false, 'post', '/users/v1/register', undefined, 'Register new user'], [false, 'put', '/users/v1/{username}/email'],
  [false, 'get', '/api/v2/owners/me'], [false, 'post', '/users/v1/login'], [false, 'get', '/settings'], [false, 'post', '/orders', 'createOrder', 'Creates an order'],
]

test('state-resetting and session-ending operations are recognised by path, operationId and summary; others are not', () => {
  const wrong = CASES.filter(([want, method, path, id, summary]) => isStateResetting(op(method, path, id, summary)) !== want).map(([want, method, path]) => `${method.toUpperCase()} ${path}: expected ${String(want)}`)
  assert.deepEqual(wrong, [])
})

test('--exclude names an operation by operationId, path template or METHOD /path', () => {
  const operation = op('put', '/users/{username}/email', 'updateEmail')
  assert.ok(isExcluded(operation, ['updateEmail']))
  assert.ok(isExcluded(operation, ['/users/{username}/email']))
  assert.ok(isExcluded(operation, ['PUT /users/{username}/email']))
  assert.ok(!isExcluded(operation, ['GET /users/{username}/email', 'updatePassword']))
})
