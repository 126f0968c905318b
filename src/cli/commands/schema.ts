/** `portcullis schema`: the config's JSON Schema, for editors (YAML language server, IDEs). */
import { buildConfigSchema } from '../../config/schema.js'
import { builtinPolicies } from '../../policies/index.js'
import { EXIT_OK } from '../report-error.js'

export function schemaCommand(): number {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://portcullis.dev/schema/config.json',
    title: 'Portcullis gateway configuration',
    ...buildConfigSchema(builtinPolicies),
  }
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`)
  return EXIT_OK
}
