/**
 * Bundles each trigger function on its own for Google Cloud Functions (2nd gen), in
 * dist/functions/<name>/:
 *
 *   index.js           the entry the Functions Framework loads: it turns on Node's compile cache
 *                      when one was made for this runtime, then loads the function
 *   function-*.js      the function: the Functions Framework's body limit (body-limit.ts), the
 *                      handler, its validation and the configuration, all it needs to answer a
 *                      delivery that reaches no workflow
 *   workflows-*.js     the Temporal client, gRPC and Temporal's API definitions, loaded by the
 *                      first delivery that has something to hand over (triggers/runtime.ts)
 *   chunk-*.js         code both share
 *   compile-cache.mjs  run by the runtime's build (`gcp-build`): compiles the files above on the
 *                      very Node that will run them and keeps the V8 code in .compile-cache/
 *   package.json       names the Functions Framework, which the runtime installs and which loads
 *                      the bundle, and the gcp-build script
 *   build-info.json    which configuration is inside (its SHA-256), so that a deployment refuses a
 *                      stale bundle, and what each file weighs and when it is loaded
 *
 * The organisation configuration is validated here and embedded as data (a function never reads
 * a configuration file, so the YAML parser and the schema are not in it): rebuild and redeploy
 * after changing it.
 *
 *   npx tsx infra/functions/build.ts [--config PATH] [--out DIR] [--only jira|notion|calendar|insights]
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseOrgConfig, type OrgConfig } from '../../domain/config';
import type { TriggerName } from '../../triggers/endpoints';
import { COMPILE_CACHE_DIR } from './compile-cache';
import { temporalDefinitionsPlugin } from './temporal-definitions';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FUNCTION_NAMES: readonly TriggerName[] = ['jira', 'notion', 'calendar', 'insights'];
const ENTRY: Record<TriggerName, string> = {
  jira: 'registerJiraFunction',
  notion: 'registerNotionFunction',
  calendar: 'registerCalendarFunction',
  insights: 'registerInsightsFunction',
};
const COMPILE_CACHE_SCRIPT = 'compile-cache.mjs';

/**
 * How a bundle is made. The defaults are what deploys; the others exist so that measure.ts can
 * show what each choice is worth, side by side (`--steps`).
 */
export interface BundleShape {
  /** esbuild's minification. */
  minify: boolean;
  /**
   * The configuration validated at build time and embedded as data; otherwise embedded as its
   * YAML and parsed and validated by every instance at start, with zod's whole API and the YAML
   * parser in the bundle (as bundles were first made).
   */
  configSnapshot: boolean;
  /** Temporal's API definitions without what a client never reads, and no gRPC proto-loader. */
  trimTemporal: boolean;
  /**
   * With trimTemporal: the services with only the methods a trigger calls, and only the messages
   * those reach (temporal-definitions.ts); otherwise every method and message of the services.
   */
  triggerMethodsOnly: boolean;
  /**
   * The workflow client alone, from its own modules (runtime/temporal-workflow-client.ts);
   * otherwise the `Client` of `@temporalio/client`'s index, with its schedule, task-queue,
   * activity and Nexus clients.
   */
  leanClient: boolean;
  /**
   * The Temporal client in files of its own, loaded by the first delivery that needs it;
   * otherwise one file, with the client loaded at start.
   */
  lazyTemporal: boolean;
}

export const DEPLOYED_SHAPE: BundleShape = {
  minify: true,
  configSnapshot: true,
  trimTemporal: true,
  triggerMethodsOnly: true,
  leanClient: true,
  lazyTemporal: true,
};

export interface BundleFile {
  name: string;
  bytes: number;
  gzipBytes: number;
  /** `start`: before the first request; `temporal`: with the Temporal client, by the first delivery that needs it. */
  loaded: 'start' | 'temporal';
}

export interface BuiltFunction {
  name: TriggerName;
  dir: string;
  /** Every JavaScript file of the bundle together. */
  bytes: number;
  gzipBytes: number;
  /** What the function loads before its first request. */
  startBytes: number;
  files: BundleFile[];
}

export interface BuildOptions {
  configPath?: string;
  outDir?: string;
  only?: TriggerName[];
  shape?: Partial<BundleShape>;
}

function configText(explicit: string | undefined): { text: string; path: string; config: OrgConfig } {
  const candidates = [
    explicit,
    process.env.PRODOPS_CONFIG,
    'prodops.config.yaml',
    'prodops.config.example.yaml',
  ]
    .filter((p): p is string => typeof p === 'string' && p !== '')
    .map((p) => resolve(ROOT, p));
  const path = explicit ? resolve(explicit) : candidates.find((p) => existsSync(p));
  if (!path || !existsSync(path))
    throw new Error(`no configuration at ${path ?? 'prodops.config.yaml'}: pass --config PATH`);
  const text = readFileSync(path, 'utf8');
  // Refuses to ship a configuration that does not validate; what ships is what validated.
  const config = parseOrgConfig(text, path);
  return { text, path, config };
}

/** The function's own module: everything it needs before it can answer. */
function functionModule(name: TriggerName, shape: BundleShape, text: string, config: OrgConfig): string {
  const lines = [
    // Before the framework builds its server, so that its body parsers refuse large bodies.
    `import { limitFrameworkBodies } from './infra/functions/body-limit';`,
    `import { MAX_BODY_BYTES } from './triggers/http';`,
    `import { embedConfig } from './triggers/runtime';`,
    `import { ${ENTRY[name]} } from './triggers/functions';`,
  ];
  if (shape.configSnapshot) {
    // A string for JSON.parse loads faster than the same data written as an object literal.
    lines.push(`embedConfig(JSON.parse(${JSON.stringify(JSON.stringify(config))}));`);
  } else {
    lines.push(`import { parseOrgConfig } from './domain/config';`);
    lines.push(`embedConfig(parseOrgConfig(${JSON.stringify(text)}, 'embedded configuration'));`);
  }
  // Imported here, the client is part of this module and loaded with it, before any request.
  if (!shape.lazyTemporal) lines.push(`import './triggers/workflows';`);
  lines.push(
    `if (!limitFrameworkBodies(MAX_BODY_BYTES)) console.error('prodops ${name}: no Functions Framework beside the bundle, bodies are not limited');`,
    `${ENTRY[name]}();`,
  );
  return lines.join('\n');
}

/**
 * For measure.ts: the function's client made as a `Client` of the package's index, as bundles
 * were before runtime/temporal-workflow-client.ts.
 */
function wholeClientPlugin(): Plugin {
  return {
    name: 'prodops-whole-client',
    setup(b) {
      b.onResolve({ filter: /[\\/]runtime[\\/]temporal-workflow-client$/ }, () => ({
        path: 'whole-client',
        namespace: 'prodops-whole-client',
      }));
      b.onLoad({ filter: /.*/, namespace: 'prodops-whole-client' }, () => ({
        contents: [
          `import { Client, Connection } from '@temporalio/client';`,
          `import { dataConverterFromEnv } from './runtime/payload-codec';`,
          `import { temporalConnectionOptions } from './runtime/temporal-options';`,
          `export function lazyWorkflowClient(temporal, env = process.env) {`,
          `  const dataConverter = dataConverterFromEnv(env);`,
          `  return new Client({ connection: Connection.lazy(temporalConnectionOptions(temporal, env)), namespace: temporal.namespace, ...(dataConverter ? { dataConverter } : {}) });`,
          `}`,
        ].join('\n'),
        resolveDir: ROOT,
        loader: 'js',
      }));
    },
  };
}

/**
 * The files an entry can load, following static imports, and import() where `dynamic` says so:
 * every file from the entry with import() is what the bundle can ever load (anything else
 * esbuild wrote is dead code); from the entry without it, what the function loads before its
 * first request (the entry's own import() of the function included).
 */
function closure(metafile: Metafile, entry: string, dynamic: boolean): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file) || !metafile.outputs[file]) continue;
    seen.add(file);
    for (const imported of metafile.outputs[file].imports) {
      if (imported.external) continue;
      if (imported.kind === 'dynamic-import' && !dynamic && file !== entry) continue;
      queue.push(imported.path);
    }
  }
  return seen;
}

/** Builds the bundles; answers with them and the configuration file they embed. */
export async function buildFunctions(
  options: BuildOptions = {},
): Promise<{ configPath: string; functions: BuiltFunction[] }> {
  const shape: BundleShape = { ...DEPLOYED_SHAPE, ...options.shape };
  const { text, path, config } = configText(options.configPath);
  const outDir = resolve(options.outDir ?? join(ROOT, 'dist/functions'));
  const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const built: BuiltFunction[] = [];
  for (const name of options.only ?? FUNCTION_NAMES) {
    const dir = join(outDir, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const result = await build({
      stdin: {
        contents: [
          `import { useShippedCompileCache } from './infra/functions/compile-cache';`,
          // Before anything sizeable is compiled: the cache only serves what is loaded after it.
          `useShippedCompileCache(import.meta.url);`,
          `await import('prodops:function');`,
        ].join('\n'),
        resolveDir: ROOT,
        sourcefile: 'index.ts',
        loader: 'ts',
      },
      bundle: true,
      splitting: shape.lazyTemporal,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      outdir: dir,
      entryNames: 'index',
      absWorkingDir: ROOT,
      write: false,
      metafile: true,
      // The runtime's own copy must see the registration: the framework stays outside the bundle.
      external: ['@google-cloud/functions-framework'],
      // Bundled CommonJS dependencies call require(); ESM output has none of its own.
      banner: {
        js: "import { createRequire as __prodopsRequire } from 'node:module'; const require = __prodopsRequire(import.meta.url);",
      },
      plugins: [
        {
          name: 'prodops-function-module',
          setup(b) {
            b.onResolve({ filter: /^prodops:function$/ }, () => ({
              path: 'function',
              namespace: 'prodops-function',
            }));
            b.onLoad({ filter: /.*/, namespace: 'prodops-function' }, () => ({
              contents: functionModule(name, shape, text, config),
              resolveDir: ROOT,
              loader: 'ts',
            }));
          },
        },
        ...(shape.trimTemporal ? [temporalDefinitionsPlugin(shape.triggerMethodsOnly)] : []),
        ...(shape.leanClient ? [] : [wholeClientPlugin()]),
      ],
      minify: shape.minify,
      legalComments: 'none',
      logLevel: 'warning',
    });
    const metafile = result.metafile;
    const entry = Object.keys(metafile.outputs).find(
      (file) => metafile.outputs[file]!.entryPoint !== undefined,
    );
    if (!entry) throw new Error(`esbuild wrote no entry for ${name}`);
    const written = closure(metafile, entry, true);
    const atStart = closure(metafile, entry, false);
    const files: BundleFile[] = [];
    for (const output of result.outputFiles) {
      const key = relative(ROOT, output.path).split('\\').join('/');
      if (!written.has(key)) continue;
      writeFileSync(output.path, output.contents);
      files.push({
        name: basename(output.path),
        bytes: output.contents.length,
        gzipBytes: gzipSync(output.contents).length,
        loaded: atStart.has(key) ? 'start' : 'temporal',
      });
    }
    files.sort((a, b) =>
      a.name === 'index.js' ? -1 : b.name === 'index.js' ? 1 : a.name.localeCompare(b.name),
    );
    writeFileSync(join(dir, COMPILE_CACHE_SCRIPT), compileCacheScript(files.map((f) => f.name)));
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify(
        {
          name: `prodops-${name}-function`,
          private: true,
          type: 'module',
          main: 'index.js',
          engines: { node: '>=24' },
          scripts: {
            // Google's Node.js buildpack runs it after installing the dependencies, on the runtime's
            // own Node: the cache it makes is one that runtime accepts.
            'gcp-build': `node ${COMPILE_CACHE_SCRIPT}`,
          },
          dependencies: {
            '@google-cloud/functions-framework':
              rootPackage.dependencies['@google-cloud/functions-framework'],
          },
        },
        null,
        2,
      )}\n`,
    );
    // Which configuration is inside, so that a deployment can refuse bundles built from another.
    writeFileSync(
      join(dir, 'build-info.json'),
      `${JSON.stringify({ configSha256: createHash('sha256').update(text).digest('hex'), shape, files }, null, 2)}\n`,
    );
    built.push({
      name,
      dir,
      bytes: files.reduce((sum, f) => sum + f.bytes, 0),
      gzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0),
      startBytes: files.filter((f) => f.loaded === 'start').reduce((sum, f) => sum + f.bytes, 0),
      files,
    });
  }
  return { configPath: path, functions: built };
}

/**
 * The script `gcp-build` runs: loads every file of the bundle once with the compile cache on, so
 * that the V8 code of each is kept in .compile-cache/ for the function's first start. Never fails
 * the deployment: without the cache the function compiles at start, as it would anyway.
 */
function compileCacheScript(files: string[]): string {
  return `// Made by infra/functions/build.ts: fills ${COMPILE_CACHE_DIR}/ with the V8 code of this bundle.
import { enableCompileCache, flushCompileCache } from 'node:module';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const files = ${JSON.stringify(files)};
try {
  const directory = fileURLToPath(new URL('./${COMPILE_CACHE_DIR}/', import.meta.url));
  mkdirSync(directory, { recursive: true });
  const enabled = enableCompileCache({ directory, portable: true });
  if (enabled.directory === undefined) throw new Error(enabled.message ?? 'the compile cache is disabled');
  for (const file of files) await import(new URL('./' + file, import.meta.url).href);
  flushCompileCache();
  console.log('compile cache: ' + files.length + ' files compiled for Node ' + process.version + ' into ${COMPILE_CACHE_DIR}/');
} catch (error) {
  console.log('compile cache not made, the function will compile at start: ' + (error instanceof Error ? error.message : String(error)));
}
process.exit(0);
`;
}

function parseArgs(argv: string[]): BuildOptions {
  const options: BuildOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--config' && value) options.configPath = argv[++i];
    else if (flag === '--out' && value) options.outDir = argv[++i];
    else if (flag === '--only' && value) {
      const names = value.split(',') as TriggerName[];
      const unknown = names.find((n) => !FUNCTION_NAMES.includes(n));
      if (unknown) throw new Error(`--only: "${unknown}" is not a function (${FUNCTION_NAMES.join(', ')})`);
      options.only = names;
      i++;
    } else throw new Error(`unknown argument "${flag}": use --config PATH, --out DIR, --only NAMES`);
  }
  return options;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { configPath, functions } = await buildFunctions(parseArgs(process.argv.slice(2)));
    console.log(`configuration embedded from ${relative(ROOT, configPath) || configPath}`);
    for (const fn of functions)
      console.log(
        `${fn.name.padEnd(9)} ${relative(ROOT, fn.dir)}/  ${kib(fn.bytes)} in ${fn.files.length} files (${kib(fn.gzipBytes)} gzipped), ${kib(fn.startBytes)} loaded at start`,
      );
  } catch (error) {
    console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
