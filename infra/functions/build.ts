/**
 * Bundles each trigger function on its own for Google Cloud Functions (2nd gen):
 * dist/functions/<name>/index.js and a package.json naming the Functions Framework, which the
 * runtime installs and which loads the bundle. The organisation configuration is embedded, so a
 * function needs no file at run time; rebuild and redeploy after changing it. build-info.json
 * records which configuration (its SHA-256), so that a deployment refuses a stale bundle. Each
 * bundle lowers the Functions Framework's body limit to the handler's 1 MiB (body-limit.ts).
 *
 *   npx tsx infra/functions/build.ts [--config PATH] [--out DIR] [--only jira|notion|calendar]
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseOrgConfig } from '../../domain/config';
import type { TriggerName } from '../../triggers/endpoints';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FUNCTION_NAMES: readonly TriggerName[] = ['jira', 'notion', 'calendar'];
const ENTRY: Record<TriggerName, string> = {
  jira: 'registerJiraFunction',
  notion: 'registerNotionFunction',
  calendar: 'registerCalendarFunction',
};

export interface BuiltFunction {
  name: TriggerName;
  dir: string;
  bytes: number;
  gzipBytes: number;
}

export interface BuildOptions {
  configPath?: string;
  outDir?: string;
  only?: TriggerName[];
}

function configText(explicit: string | undefined): { text: string; path: string } {
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
  parseOrgConfig(text, path); // refuse to ship a configuration that does not validate
  return { text, path };
}

/** Builds the bundles; answers with them and the configuration file they embed. */
export async function buildFunctions(
  options: BuildOptions = {},
): Promise<{ configPath: string; functions: BuiltFunction[] }> {
  const { text, path } = configText(options.configPath);
  const outDir = resolve(options.outDir ?? join(ROOT, 'dist/functions'));
  const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const built: BuiltFunction[] = [];
  for (const name of options.only ?? FUNCTION_NAMES) {
    const dir = join(outDir, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await build({
      stdin: {
        contents: [
          // Before the framework builds its server, so that its body parsers refuse large bodies.
          `import { limitFrameworkBodies } from './infra/functions/body-limit';`,
          `import { MAX_BODY_BYTES } from './triggers/http';`,
          `import { ${ENTRY[name]} } from './triggers/functions';`,
          `if (!limitFrameworkBodies(MAX_BODY_BYTES)) console.error('prodops ${name}: no Functions Framework beside the bundle, bodies are not limited');`,
          `${ENTRY[name]}();`,
        ].join('\n'),
        resolveDir: ROOT,
        sourcefile: `${name}-function.ts`,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      outfile: join(dir, 'index.js'),
      // The runtime's own copy must see the registration: the framework stays outside the bundle.
      external: ['@google-cloud/functions-framework'],
      define: { PRODOPS_EMBEDDED_CONFIG: JSON.stringify(text) },
      // Bundled CommonJS dependencies call require(); ESM output has none of its own.
      banner: {
        js: "import { createRequire as __prodopsRequire } from 'node:module'; const require = __prodopsRequire(import.meta.url);",
      },
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
    });
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify(
        {
          name: `prodops-${name}-function`,
          private: true,
          type: 'module',
          main: 'index.js',
          engines: { node: '>=24' },
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
      `${JSON.stringify({ configSha256: createHash('sha256').update(text).digest('hex') }, null, 2)}\n`,
    );
    const bundleBytes = readFileSync(join(dir, 'index.js'));
    built.push({
      name,
      dir,
      bytes: statSync(join(dir, 'index.js')).size,
      gzipBytes: gzipSync(bundleBytes).length,
    });
  }
  return { configPath: path, functions: built };
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
        `${fn.name.padEnd(9)} ${relative(ROOT, fn.dir)}/index.js  ${kib(fn.bytes)} (${kib(fn.gzipBytes)} gzipped)`,
      );
  } catch (error) {
    console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
