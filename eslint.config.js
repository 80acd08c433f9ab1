// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Every Node built-in, under both names (`fs` and `node:fs`; a few exist only with the prefix),
 * from the running Node itself, so that a module added in a new Node is banned from workflow code
 * without anyone editing this list.
 */
const nodeBuiltins = [
  ...new Set(builtinModules.flatMap((name) => (name.startsWith('node:') ? [name] : [name, `node:${name}`]))),
];

const sandboxSafe = (where) => ({
  paths: nodeBuiltins.map((name) => ({
    name,
    message: `${where} runs inside the workflow sandbox, which has no Node built-ins: do I/O in an activity.`,
  })),
  patterns: [
    {
      group: ['@temporalio/activity', '@temporalio/worker', '@temporalio/client'],
      allowTypeImports: true,
      message: `${where} runs inside the workflow sandbox: only @temporalio/workflow and @temporalio/common are there.`,
    },
  ],
});

/**
 * The layers. Each folder is one element; a file imports only the elements its policy allows
 * (`boundaries/dependencies`, default disallow). Imports within one element are free.
 *
 *   domain          pure rules and schemas: imports nothing else of the project
 *   contracts       ids and keys every side agrees on, safe in the workflow sandbox: domain at most
 *   contracts-node  derivations that need node:crypto (hashes, channel tokens): not for workflows
 *   workflows       deterministic code: domain and sandbox-safe contracts; activities as types only
 *   activities      one module per system: domain and contracts; workflow types only
 *   triggers        HTTP functions: domain, contracts, runtime and workflow messages; no work, so
 *                   never activities, sandbox or cli
 *   runtime         configuration and the Temporal connection: domain
 *   dashboard       the read-only dashboard: reads records through the activities' readers;
 *                   served by the gateway's pages, which it hands in (never the reverse)
 *   workers         everything they run, never cli or sandbox
 *   sandbox         the vendors' stand-ins and the simulation of people (development tooling)
 *   cli             the command: everything, and the sandbox from `start` and `simulate` only
 *   infra, test, bench, bin, scripts: tooling around the product, free to import anything
 */
const ELEMENTS = [
  'domain',
  'contracts/node',
  'contracts',
  'workflows',
  'activities',
  'triggers',
  'runtime',
  'dashboard',
  'workers',
  'sandbox',
  'cli',
  'infra',
  'test',
  'bench',
  'bin',
  'scripts',
];
const typeOf = (folder) => (folder === 'contracts/node' ? 'contracts-node' : folder);

const element = (types) => ({ element: { type: types } });
const allow = (from, to) => ({ from: element(from), allow: { to: element(to) } });
const allowTypes = (from, to) => ({
  from: element(from),
  allow: { to: element(to), dependency: { kind: 'type' } },
});
const CONTRACTS = ['contracts', 'contracts-node'];

const LAYER_POLICIES = [
  allow('contracts', ['domain']),
  allow('contracts-node', ['contracts', 'domain']),
  allow('workflows', ['domain', 'contracts']),
  allowTypes('workflows', ['activities']),
  allow('activities', ['domain', ...CONTRACTS]),
  allowTypes('activities', ['workflows']),
  allow('triggers', ['domain', ...CONTRACTS, 'runtime', 'workflows']),
  allow('runtime', ['domain']),
  allow('dashboard', ['domain', ...CONTRACTS, 'runtime', 'activities', 'triggers']),
  allowTypes('dashboard', ['workflows']),
  allow('workers', ['domain', ...CONTRACTS, 'runtime', 'workflows', 'activities', 'triggers']),
  allow('sandbox', ['domain', ...CONTRACTS, 'triggers']),
  allow('cli', [
    'domain',
    ...CONTRACTS,
    'runtime',
    'workflows',
    'activities',
    'triggers',
    'workers',
    'dashboard',
  ]),
  {
    // The embedded stack and the simulated people need the sandbox; no other command does.
    from: { element: { type: 'cli', fileInternalPath: ['start.ts', 'simulate.ts'] } },
    allow: { to: element('sandbox') },
  },
  allow(['infra', 'test', 'bench', 'bin', 'scripts'], ['*']),
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.prodops/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Activities and handlers are async by contract even when one needs no await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The layer map above, enforced on every import and re-export.
    files: ['**/*.ts', '**/*.js'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': ELEMENTS.map((folder) => ({
        type: typeOf(folder),
        pattern: folder,
        partialMatch: false,
      })),
      'import/resolver': { node: { extensions: ['.ts', '.js'] } },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: LAYER_POLICIES,
          message:
            '{{from.type}} may not import {{to.type}} ({{dependency.source}}): see the layer map in eslint.config.js',
        },
      ],
    },
  },
  {
    // Workflow code is replayed: it must stay deterministic and sandbox-safe. Activities are
    // imported as types (the layer rules) and proxied.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', sandboxSafe('Workflow code')],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use a loop with sleep() from @temporalio/workflow.' },
        { name: 'process', message: 'Workflow code has no process: pass values in as arguments.' },
      ],
    },
  },
  {
    // The trigger functions are bundled for Cloud Functions, where every kilobyte loaded is paid at
    // each cold start (infra/functions/build.ts).
    files: ['triggers/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '../domain/config',
              allowTypeImports: true,
              message:
                'domain/config loads the configuration schema and the YAML parser: import its types only, and values from domain/values.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value='zod'][importKind!='type'] > :matches(ImportSpecifier[imported.name='z'][importKind!='type'], ImportDefaultSpecifier)",
          message:
            "Use import * as z from 'zod': a namespace import lets the bundler keep only the zod a function uses (90 KiB instead of 444).",
        },
      ],
    },
  },
  {
    // Workflows import these contracts, so they live by the same rules.
    files: ['contracts/*.ts'],
    rules: {
      'no-restricted-imports': ['error', sandboxSafe('Contracts code (imported by workflows)')],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Contracts are imported by workflows, which have no process.' },
      ],
    },
  },
);
