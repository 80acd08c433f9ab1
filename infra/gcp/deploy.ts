/**
 * `npm run deploy [-- <pulumi up arguments>]`: builds the function bundles from the stack's
 * configuration file, then runs `pulumi up` on infra/gcp, so that the functions and the worker
 * always deploy the same organisation. Needs the Pulumi CLI on PATH (see the README).
 *
 *   npm run deploy                        # the selected stack
 *   npm run deploy -- --stack prod --yes  # anything after -- goes to pulumi up
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFunctions, type BuildOptions } from '../functions/build';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const PROGRAM = join(ROOT, 'infra/gcp');

export const INSTALL_PULUMI =
  'install the Pulumi CLI first: curl -fsSL https://get.pulumi.com | sh (or brew install pulumi/tap/pulumi), then pulumi login';

export interface DeployIO {
  out(line: string): void;
  err(line: string): void;
}

export interface DeployOptions {
  env?: NodeJS.ProcessEnv;
  io?: DeployIO;
  build?: (options: BuildOptions) => Promise<unknown>;
}

/** Runs the deployment; answers the exit code. */
export async function deploy(args: string[], options: DeployOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const io = options.io ?? { out: (l) => console.log(l), err: (l) => console.error(l) };
  const build = options.build ?? buildFunctions;
  const pulumi = (pulumiArgs: string[], inherit = false): SpawnSyncReturns<string> =>
    spawnSync('pulumi', pulumiArgs, {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      stdio: inherit ? 'inherit' : 'pipe',
    });

  const version = pulumi(['version']);
  if (version.error) {
    io.err(`deploy: no pulumi on PATH: ${INSTALL_PULUMI}`);
    return 2;
  }
  // `pulumi config get` must read the same stack that `pulumi up` will deploy.
  const stack = stackArgs(args);
  const setting = (key: string): string | undefined => {
    const answer = pulumi(['config', 'get', `prodops:${key}`, '--cwd', PROGRAM, ...stack]);
    if (answer.status === 0) return answer.stdout.trim() || undefined;
    if (/not found/i.test(answer.stderr)) return undefined;
    throw new Error(`pulumi config get prodops:${key}: ${answer.stderr.trim() || `exit ${answer.status}`}`);
  };
  let configFile: string | undefined;
  let functionsDir: string | undefined;
  try {
    configFile = setting('configFile');
    functionsDir = setting('functionsDir');
  } catch (error) {
    io.err(`deploy: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const configPath = resolveFromRoot(configFile ?? 'prodops.config.yaml');
  const outDir = resolveFromRoot(functionsDir ?? 'dist/functions');
  io.out(
    `building the functions from ${relative(ROOT, configPath) || configPath} into ${relative(ROOT, outDir) || outDir}`,
  );
  try {
    await build({ configPath, outDir });
  } catch (error) {
    io.err(`deploy: the functions did not build: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const up = pulumi(['up', '--cwd', PROGRAM, ...args], true);
  return up.status ?? 1;
}

/** The `--stack NAME` / `-s NAME` / `--stack=NAME` among pulumi up's arguments. */
export function stackArgs(args: string[]): string[] {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if ((arg === '--stack' || arg === '-s') && args[i + 1]) return ['--stack', args[i + 1]!];
    if (arg.startsWith('--stack=')) return ['--stack', arg.slice('--stack='.length)];
  }
  return [];
}

function resolveFromRoot(path: string): string {
  return isAbsolute(path) ? path : resolve(ROOT, path);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await deploy(process.argv.slice(2));
}
