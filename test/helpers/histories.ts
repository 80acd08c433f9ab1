/**
 * Recorded workflow histories for the replay tests (test/workflows/replay.test.ts). A test that
 * drives a process through a lifecycle calls `recordHistory` at the end; with
 * PRODOPS_RECORD_HISTORY set (`1` for every process, or a comma-separated list such as
 * `leave,calendar-sync`) the history is written beside the process's tests. Record only on
 * purpose: a recorded history is the promise that running workflows keep replaying.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const WORKFLOW_TESTS_DIR = fileURLToPath(new URL('../workflows/', import.meta.url));

/** The workflow id each history was recorded under (workflow code reads it, so replay needs it). */
interface Manifest {
  [file: string]: { workflowId: string; what: string };
}

const manifestPath = (process: string) => join(WORKFLOW_TESTS_DIR, process, 'histories', 'manifest.json');

function readManifest(process: string): Manifest {
  const path = manifestPath(process);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Manifest) : {};
}

function recording(process: string): boolean {
  const wanted = globalThis.process.env.PRODOPS_RECORD_HISTORY;
  if (!wanted) return false;
  if (wanted === '1' || wanted === 'all') return true;
  return wanted
    .split(',')
    .map((s) => s.trim())
    .includes(process);
}

export async function recordHistory(
  handle: WorkflowHandle,
  process: string,
  name: string,
  what: string,
): Promise<void> {
  if (!recording(process)) return;
  const history = await handle.fetchHistory();
  const file = `${name}.json`;
  const path = join(WORKFLOW_TESTS_DIR, process, 'histories', file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, historyToJSON(history));
  const manifest = readManifest(process);
  manifest[file] = { workflowId: handle.workflowId, what };
  writeFileSync(manifestPath(process), `${JSON.stringify(manifest, null, 2)}\n`);
}

export interface RecordedHistory {
  process: string;
  file: string;
  /** The workflow type, read from the history's first event. */
  workflowType: string;
  workflowId: string;
  what: string;
  history: { events: unknown[] };
}

/** Every recorded history of every process, with the workflow id it was recorded under. */
export function recordedHistories(): RecordedHistory[] {
  const out: RecordedHistory[] = [];
  for (const process of readdirSync(WORKFLOW_TESTS_DIR).sort()) {
    const manifest = readManifest(process);
    for (const [file, { workflowId, what }] of Object.entries(manifest).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      const history = JSON.parse(
        readFileSync(join(WORKFLOW_TESTS_DIR, process, 'histories', file), 'utf8'),
      ) as RecordedHistory['history'];
      const started = (history.events[0] ?? {}) as {
        workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } };
      };
      const workflowType = started.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '';
      out.push({ process, file, workflowType, workflowId, what, history });
    }
  }
  return out;
}
