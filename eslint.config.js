// typescript-eslint strict, type-checked: floating and misused promises are real bugs in a proxy.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/**
 * The layers of `src/` (docs/architecture.md): each folder with the folders and top-level files it
 * never imports, because they are above it. Tests beside the code and `bench/` may import anything.
 */
const SERVING = ['server', 'admin', 'cli', 'gateway.ts', 'main.ts']
const BLOCK_BANS = ['pipeline', 'policies', 'config', 'upstream', ...SERVING]
const LAYER_BANS = {
  // Building blocks: they know nothing of policies, of the config file or of serving.
  net: BLOCK_BANS,
  sensitive: BLOCK_BANS,
  observability: BLOCK_BANS,
  stores: BLOCK_BANS,
  router: BLOCK_BANS,
  openapi: BLOCK_BANS,
  waf: BLOCK_BANS,
  identity: BLOCK_BANS,
  // The contract between the core and the policies.
  pipeline: ['policies', 'config', 'upstream', ...SERVING],
  // Builds its schema from the policy definitions it is handed, never from a policy module.
  config: ['policies', 'upstream', ...SERVING],
  policies: ['upstream', ...SERVING],
  upstream: ['policies', 'config', ...SERVING],
  audit: SERVING,
  scan: SERVING,
  posture: SERVING,
}

/** A relative specifier that climbs out of the importing folder into `target` (a folder or a top-level file). */
function specifierPattern(target) {
  if (target.endsWith('.ts')) return `^(\\.\\./)+${target.slice(0, -3)}\\.js$`
  return `^(\\.\\./)+${target}(/|$)`
}

function layerRules(folder, banned) {
  const patterns = banned.map((target) => ({
    regex: specifierPattern(target),
    message: `${folder}/ never imports ${target.endsWith('.ts') ? target : `${target}/`}: it is a layer above (docs/architecture.md).`,
  }))
  // esquery reads `/` as the end of a regex, so dynamic imports and `import()` types match `\x2F`.
  const dynamic = patterns.map(({ regex, message }) => {
    const source = regex.replaceAll('/', '\\x2F')
    return { selector: `:matches(ImportExpression[source.value=/${source}/], TSImportType[argument.literal.value=/${source}/])`, message }
  })
  return {
    files: [`src/${folder}/**/*.ts`],
    ignores: ['src/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns }], 'no-restricted-syntax': ['error', ...dynamic] },
  }
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'bench/results/', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['bin/*.js', 'scripts/*.mjs', 'test/fixtures/scan/vampi-style/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['describe', 'test', 'it', 'suite'], package: 'node:test' }] },
      ],
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-dynamic-delete': 'off',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // The dashboard's browser modules (served as they are, no build step).
    files: ['web/**/*.js'],
    languageOptions: {
      parserOptions: { projectService: false },
      globals: { window: 'readonly', document: 'readonly', location: 'readonly', fetch: 'readonly', EventSource: 'readonly', URLSearchParams: 'readonly', Node: 'readonly', confirm: 'readonly' },
    },
  },
  {
    files: ['scripts/**', 'bench/**', 'src/cli/**'],
    rules: { 'no-console': 'off' },
  },
  ...Object.entries(LAYER_BANS).map(([folder, banned]) => layerRules(folder, banned)),
)
