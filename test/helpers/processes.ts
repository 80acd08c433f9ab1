/**
 * prodops' own processes, started as they are deployed: `prodops worker` and `prodops gateway`
 * as child processes of the test or benchmark, each with its configuration file and
 * environment, so that a benchmark can tell their CPU apart and a fault-injection run can
 * `kill -9` a worker mid-activity and start another.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/index';
import { WORKFLOW_BUNDLER_OPTIONS } from '../../workers/workflow-bundle';

export const PRODOPS_BIN = fileURLToPath(new URL('../../bin/prodops.js', import.meta.url));

export interface ProdopsProcess {
  readonly name: string;
  readonly pid: number;
  /** Every line written so far, stdout and stderr together. */
  readonly output: string[];
  /** Resolves with the exit code (or the signal) once the process has ended. */
  readonly exited: Promise<number | NodeJS.Signals>;
  /** Resolves once a line matching `pattern` has been written; rejects if the process ends first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has ended. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once, as a crash or an OOM kill would. */
  kill9(): Promise<void>;
  /** CPU seconds (user + system) the process has used so far, from /proc. */
  cpuSeconds(): number;
}

/**
 * Starts `prodops <args>` under the current Node. `env` adds to the inherited environment;
 * `log` receives every line (quiet by default).
 */
export function spawnProdops(
  name: string,
  args: string[],
  options: { env?: Record<string, string>; log?: (line: string) => void; cwd?: string } = {},
): ProdopsProcess {
  const child: ChildProcess = spawn(process.execPath, [PRODOPS_BIN, ...args], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd ?? process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const onChunk = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      output.push(line);
      options.log?.(`${name}: ${line}`);
      for (const listener of listeners) listener(line);
    }
  };
  child.stdout!.on('data', onChunk);
  child.stderr!.on('data', onChunk);
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code ?? 0)),
  );
  let ended = false;
  void exited.then(() => (ended = true));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not start ${PRODOPS_BIN}`);

  return {
    name,
    pid,
    output,
    exited,
    waitFor(pattern, timeoutMs = 120_000) {
      const seen = output.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(
            new Error(
              `${name}: no line matching ${pattern} within ${timeoutMs} ms:\n${output.slice(-20).join('\n')}`,
            ),
          );
        }, timeoutMs);
        const listener = (line: string) => {
          if (!pattern.test(line)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(line);
        };
        listeners.add(listener);
        void exited.then((how) => {
          if (!listeners.has(listener)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          reject(
            new Error(`${name} ended (${how}) before writing ${pattern}:\n${output.slice(-20).join('\n')}`),
          );
        });
      });
    },
    async stop(graceMs = 10_000) {
      if (ended) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill9() {
      if (ended) return;
      child.kill('SIGKILL');
      await exited;
    },
    cpuSeconds: () => cpuSecondsOf(pid),
  };
}

/** Clock ticks per second of /proc/<pid>/stat (100 on Linux). */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) of a process, or NaN once it has gone (or off Linux). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** The child processes of `parent` whose command line contains `needle` (Linux). */
export function childProcesses(parent: number, needle: string): number[] {
  if (!existsSync('/proc')) return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(needle)) found.push(Number(entry));
    } catch {
      // The process ended while being read.
    }
  }
  return found;
}

/**
 * The project's workflows bundled once into `dir`, for `PRODOPS_WORKFLOW_BUNDLE`: a restarted
 * worker then starts in seconds instead of bundling again.
 */
export async function writeWorkflowBundle(dir: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: new DefaultLogger('WARN'),
    ...WORKFLOW_BUNDLER_OPTIONS,
  });
  const path = join(dir, 'workflows.bundle.js');
  writeFileSync(path, code);
  return path;
}
