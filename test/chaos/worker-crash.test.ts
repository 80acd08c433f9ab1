/**
 * A worker killed with SIGKILL in the middle of an activity, as a crash or an OOM kill would end
 * it, and another started: `prodops worker` processes on the dev server, the real activities
 * against the sandbox. The create the dead worker had sent still lands at the vendor; the new
 * worker's retry finds it, the release and the leave complete their steps, and the sandbox's
 * audit counts every artifact once.
 *
 * Slow by nature: an activity without heartbeats is retried only when its start-to-close
 * timeout (one minute) has passed, so the case waits that minute out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseStatus } from '../../workflows/release/messages';
import { leaveStatus } from '../../workflows/leave/messages';
import { EXAMPLE_CONFIG_PATH } from '../helpers/config';
import { spawnProdops, writeWorkflowBundle, type ProdopsProcess } from '../helpers/processes';
import { sandboxAudit } from '../helpers/sandbox';
import { startStack, type Stack } from '../helpers/stack';
import { chaosConfig, driveLeave, startRelease, settle } from './scenario';
import { eventually } from '../helpers/eventually';

const SENDER = chaosConfig.integrations.google.sender!;
const EVENTS_ROUTE = 'POST /calendar/v3/calendars/:calendarId/events';

let stack: Stack;
let dir: string;
let bundlePath: string;
const workers: ProdopsProcess[] = [];
/** The workers' last lines, printed when the case fails. */
const output: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prodops-crash-'));
  [stack, bundlePath] = await Promise.all([
    startStack({ temporal: 'dev-server', config: chaosConfig, sandbox: true, workflows: false }),
    writeWorkflowBundle(dir),
  ]);
});
afterAll(async () => {
  if (process.env.PRODOPS_CHAOS_LOG) console.log(output.slice(-80).join('\n'));
  for (const worker of workers) await worker.stop(2_000).catch(() => undefined);
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `prodops worker` on the stack's queue, against its sandbox, with the example configuration. */
async function startWorker(name: string): Promise<ProdopsProcess> {
  const worker = spawnProdops(name, ['worker', '--config', EXAMPLE_CONFIG_PATH], {
    env: {
      PRODOPS_TEMPORAL_ADDRESS: stack.env.address,
      PRODOPS_TEMPORAL_NAMESPACE: stack.namespace,
      PRODOPS_TEMPORAL_TASK_QUEUE: stack.taskQueue,
      PRODOPS_SANDBOX_URL: stack.sandbox.url,
      PRODOPS_WORKFLOW_BUNDLE: bundlePath,
    },
    log: (line) => output.push(line.slice(0, 400)),
  });
  workers.push(worker);
  await worker.waitFor(/worker polling/, 60_000);
  return worker;
}

describe('a worker killed mid-activity', () => {
  it(
    'leaves the next worker to finish the step, with no artifact made twice',
    { timeout: 180_000 },
    async () => {
      const handles: WorkflowHandle[] = [];
      const run = {
        client: stack.client,
        taskQueue: stack.taskQueue,
        sandbox: stack.sandbox,
        patienceMs: 150_000,
        track: (...more: WorkflowHandle[]) => void handles.push(...more),
      };
      const first = await startWorker('worker-1');
      // Event creates take a while at the vendor, so that one is surely in flight when the worker dies.
      stack.sandbox.injectFault({ route: EVENTS_ROUTE, fault: { kind: 'latency', ms: 1_500, times: 20 } });
      const release = await startRelease(run);
      const leave = driveLeave(run);
      leave.catch(() => undefined);

      // The leave's first invite is on its way to the sender's calendar: kill the worker then.
      const inviteInFlight = (r: { route: string; path: string; status: number }) =>
        r.route === EVENTS_ROUTE && decodeURIComponent(r.path).includes(SENDER) && r.status === 0;
      await eventually(
        () => Promise.resolve(stack.sandbox.router.log.some(inviteInFlight) || undefined),
        'an invite create in flight',
        60_000,
      );
      await first.kill9();
      const second = await startWorker('worker-2');

      const leaveHandle = await leave;
      await settle(handles, 120_000);
      const audit = await sandboxAudit(stack.sandbox.url);

      const releaseNow = await release.query(releaseStatus);
      for (const id of ['plan-comment', 'support-readiness', 'sales-readiness', 'bundle', 'release-log'])
        expect(releaseNow.steps.find((s) => s.id === id)?.ref, id).toBeDefined();
      expect((await leaveHandle.query(leaveStatus)).phase).toBe('confirmed');
      expect(audit.artifacts.filter((a) => a.count > 1)).toEqual([]);
      expect(audit.duplicates).toBe(0);
      expect(audit.unkeyed).toBe(0);
      // Both invites exist, once each, and the dead worker's create is one of them.
      const invites = audit.artifacts.filter((a) => a.kind === 'event' && a.ids[0]!.startsWith(`${SENDER}/`));
      expect(invites.length).toBeGreaterThanOrEqual(2);
      await second.stop(5_000);
    },
  );
});
