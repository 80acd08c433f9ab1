/**
 * The command line as a test calls it: `main()` in this process, with what it printed gathered,
 * and a configuration file of the test's own in a fresh temporary folder.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type CliIO } from '../../cli/main';

/** What one command did: its exit code and its output, lines joined. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (line) => out.push(line), err: (line) => err.push(line) };
  const code = await main(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Writes `text` as `prodops.config.yaml` in a new folder named after `suite`; returns its path. */
export function writeTempConfig(text: string, suite: string): string {
  const path = join(mkdtempSync(join(tmpdir(), `prodops-${suite}-`)), 'prodops.config.yaml');
  writeFileSync(path, text);
  return path;
}
