/**
 * The fault-injection run: a realistic mix of work on a dev server with SQLite and the sandbox,
 * delivered in waves, each wave under one fault (and the last under all of them at once), and
 * after each fault the counts that must all be 0.
 */
import type { FaultRule } from '../../sandbox/http';
import { doublesIn, lostWorkflows, missingArtifacts, settle, type Doubles } from './counts';
import { Mix, uniqueRunId, type DeliveryPlan, type MixSize, type Wave } from './mix';
import { startChaosStack, type ChaosStack } from './stack';

export const FAULTS = [
  'worker-crash',
  'server-restart',
  'vendor-storm',
  'duplicate-deliveries',
  'vendor-timeouts',
  'all-together',
] as const;
export type FaultName = (typeof FAULTS)[number];

export const FAULT_TITLES: Record<FaultName, string> = {
  'worker-crash': 'worker crash (kill -9)',
  'server-restart': 'server restart',
  'vendor-storm': 'vendor storm (429/500, drops)',
  'duplicate-deliveries': 'duplicate deliveries',
  'vendor-timeouts': 'vendor timeouts (answer lost)',
  'all-together': 'all together',
};

export interface ChaosOptions {
  /** Fewer workflows and shorter windows, for the test suite. */
  quick?: boolean;
  /** Only these faults (all by default, in order). */
  only?: FaultName[];
  log?: (line: string) => void;
}

export interface FaultRow {
  fault: FaultName;
  /** Workflows acknowledged so far (all waves up to this one). */
  workflows: number;
  lost: string[];
  stuck: string[];
  duplicated: string[];
  missing: string[];
  noticesTwice: string[];
  /** Seconds from the end of the fault until every workflow was idle again. */
  recoverySeconds: number;
}

export interface ChaosResult {
  rows: FaultRow[];
  /** Everything that went wrong outside the counts (a delivery never acknowledged, a refused command). */
  problems: string[];
  seconds: number;
}

interface Timings {
  baseline: MixSize;
  perWave: MixSize;
  /** The last wave's (all together) extra. */
  crashDownMs: number;
  serverDownMs: number;
  stormMs: number;
  /** How long after recovery the held-back duplicate deliveries arrive. */
  lateMs: number;
  stallMs: number;
  capMs: number;
}

const FULL: Timings = {
  // 10 + 6 × 5 = 40 releases, 2 + 6 × 3 = 20 leave requests, 7 engagements, 7 subscriptions.
  baseline: { releases: 10, leaves: 2, onboardings: 1, renewals: 1 },
  perWave: { releases: 5, leaves: 3, onboardings: 1, renewals: 1 },
  crashDownMs: 5_000,
  serverDownMs: 5_000,
  stormMs: 60_000,
  lateMs: 30_000,
  stallMs: 60_000,
  capMs: 300_000,
};

const QUICK: Timings = {
  baseline: { releases: 3, leaves: 1, onboardings: 1, renewals: 1 },
  perWave: { releases: 1, leaves: 0, onboardings: 0, renewals: 0 },
  crashDownMs: 1_000,
  serverDownMs: 1_000,
  stormMs: 6_000,
  lateMs: 1_000,
  // The definition of stuck does not shrink with the mix: a retried Jira create may look for its
  // twin for half a minute before it makes one.
  stallMs: 60_000,
  capMs: 180_000,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ONCE: DeliveryPlan = { copies: () => 1, lateShare: 0 };
/** Every webhook 3 to 10 times, some of the copies held back to arrive late. */
const REPEATED: DeliveryPlan = { copies: () => 3 + Math.floor(Math.random() * 8), lateShare: 0.3 };

const VENDORS = ['jira', 'notion', 'google'] as const;

/** 30% of every vendor's requests answered 429 (with Retry-After) or 500 for `forMs`, a few connections dropped. */
function stormRules(forMs: number, seed: number): FaultRule[] {
  return VENDORS.flatMap((vendor, i) => [
    {
      route: '*',
      vendor,
      seed: seed + i,
      fault: { kind: 'status', statuses: [429, 500], retryAfterSeconds: 1, probability: 0.3, forMs },
    },
    {
      route: '*',
      vendor,
      seed: seed + 10 + i,
      fault: { kind: 'drop', probability: 0.05, forMs },
    },
  ]);
}

/** The routes that create or send something, as the sandbox has seen them: the calls whose answer gets lost. */
function creatingRoutes(stack: ChaosStack): string[] {
  const routes = new Set<string>();
  for (const entry of stack.sandbox.router.log) {
    if (entry.vendor === 'sandbox' || entry.method !== 'POST') continue;
    if (/query|search|freeBusy|watch|bulkfetch|\/list|stop|trash/i.test(entry.route)) continue;
    routes.add(entry.route);
  }
  return [...routes].sort();
}

function timeoutRules(stack: ChaosStack, times: number): FaultRule[] {
  return creatingRoutes(stack).map((route) => ({ route, fault: { kind: 'dropResponse', times } }));
}

const newIn = (after: Set<string>, before: Set<string>) => [...after].filter((k) => !before.has(k));

export async function runChaos(options: ChaosOptions = {}): Promise<ChaosResult> {
  const log = options.log ?? (() => {});
  const timings = options.quick ? QUICK : FULL;
  const faults = options.only ?? [...FAULTS];
  const startedAt = Date.now();
  const stack = await startChaosStack({ log });
  try {
    const mix = new Mix(stack, uniqueRunId(), log);
    const seed = Number(process.env.PRODOPS_CHAOS_SEED ?? 20261127);

    const settleAll = async () =>
      settle(stack.client, mix.tracked, { stallMs: timings.stallMs, capMs: timings.capMs });

    log('baseline: the first wave, without faults');
    await mix.deliver(await mix.prepare(0, timings.baseline), ONCE);
    const baselineStuck = await settleAll();
    if (baselineStuck.length > 0) log(`busy after the baseline: ${baselineStuck.join(', ')}`);

    let doubles: Doubles = await doublesIn(stack.sandbox.url);
    let lostBefore = new Set(await lostWorkflows(stack.client, mix.tracked));
    let missingBefore = new Set(await missingArtifacts(stack.client, stack.sandbox, mix.tracked));
    const rows: FaultRow[] = [];
    for (const [index, fault] of faults.entries()) {
      const number = index + 1;
      const size = fault === 'all-together' && options.quick ? timings.baseline : timings.perWave;
      const pagesBefore = mix.simulatedPages;
      const wave = await mix.prepare(number, size);
      const problemsBefore = mix.problems.length;
      log(
        `${fault}: ${wave.starts.length + wave.commands.filter((c) => c.starts).length} new workflows, ${wave.webhooks.length} webhooks, ${wave.commands.length} commands`,
      );
      await inject(fault, stack, mix, wave, timings, seed + number * 100, log);
      const recoveredAt = Date.now();
      const stuck = await settleAll();
      const recoverySeconds = (Date.now() - recoveredAt) / 1000;
      if (fault === 'duplicate-deliveries' || fault === 'all-together') {
        await sleep(timings.lateMs);
        const late = await mix.deliverLate();
        log(`${late} deliveries arrived late`);
        stuck.push(...(await settleAll()).filter((id) => !stuck.includes(id)));
      }
      const lostNow = new Set(await lostWorkflows(stack.client, mix.tracked));
      const missingNow = new Set(await missingArtifacts(stack.client, stack.sandbox, mix.tracked));
      const doublesNow = await doublesIn(stack.sandbox.url);
      const unkeyed = doublesNow.unkeyed - doubles.unkeyed - (mix.simulatedPages - pagesBefore);
      if (unkeyed > 0) mix.problems.push(`${fault}: ${unkeyed} artifacts made without an idempotency key`);
      const unacknowledged = mix.problems
        .slice(problemsBefore)
        .filter((p) => p.includes('never acknowledged') || p.includes('never succeeded'));
      const row: FaultRow = {
        fault,
        workflows: mix.tracked.length,
        lost: [...newIn(lostNow, lostBefore), ...unacknowledged],
        stuck,
        duplicated: newIn(doublesNow.artifacts, doubles.artifacts),
        missing: newIn(missingNow, missingBefore),
        noticesTwice: newIn(doublesNow.notices, doubles.notices),
        recoverySeconds,
      };
      rows.push(row);
      log(
        `${fault}: lost ${row.lost.length}, stuck ${row.stuck.length}, duplicated ${row.duplicated.length}, missing ${row.missing.length}, notices twice ${row.noticesTwice.length}`,
      );
      for (const line of [...row.lost, ...row.stuck, ...row.duplicated, ...row.missing, ...row.noticesTwice])
        log(`  ${line}`);
      doubles = doublesNow;
      lostBefore = lostNow;
      missingBefore = missingNow;
    }
    return { rows, problems: mix.problems, seconds: (Date.now() - startedAt) / 1000 };
  } finally {
    await stack.stop();
  }
}

/** Delivers `wave` under `fault`; resolves once the fault is over (the recovery starts then). */
async function inject(
  fault: FaultName,
  stack: ChaosStack,
  mix: Mix,
  wave: Wave,
  timings: Timings,
  seed: number,
  log: (line: string) => void,
): Promise<void> {
  switch (fault) {
    case 'worker-crash': {
      const delivering = mix.deliver(wave, ONCE);
      // The worker dies while the wave's activities run.
      await waitForActivity(stack);
      await stack.crashWorker(timings.crashDownMs);
      await delivering;
      return;
    }
    case 'server-restart': {
      const delivering = mix.deliver(wave, ONCE);
      await waitForActivity(stack);
      await stack.restartServer(timings.serverDownMs);
      await delivering;
      return;
    }
    case 'vendor-storm': {
      const until = Date.now() + timings.stormMs;
      for (const rule of stormRules(timings.stormMs, seed)) stack.sandbox.injectFault(rule);
      await mix.deliver(wave, ONCE);
      await sleep(Math.max(0, until - Date.now()));
      stack.sandbox.clearFaults();
      return;
    }
    case 'duplicate-deliveries':
      await mix.deliver(wave, REPEATED);
      return;
    case 'vendor-timeouts': {
      const rules = timeoutRules(stack, 2);
      log(`answers lost on ${rules.map((r) => r.route).join(', ')}`);
      for (const rule of rules) stack.sandbox.injectFault(rule);
      await mix.deliver(wave, ONCE);
      await waitForActivity(stack);
      await sleep(timings.stormMs / 4);
      stack.sandbox.clearFaults();
      return;
    }
    case 'all-together': {
      const until = Date.now() + timings.stormMs;
      for (const rule of [...timeoutRules(stack, 2), ...stormRules(timings.stormMs, seed)])
        stack.sandbox.injectFault(rule);
      const delivering = mix.deliver(wave, REPEATED);
      await waitForActivity(stack);
      await stack.crashWorker(timings.crashDownMs);
      await waitForActivity(stack);
      await stack.restartServer(timings.serverDownMs);
      await delivering;
      await sleep(Math.max(0, until - Date.now()));
      stack.sandbox.clearFaults();
      return;
    }
  }
}

/** Resolves once the sandbox sees prodops' calls again (activities are running), or after 10 s. */
async function waitForActivity(stack: ChaosStack): Promise<void> {
  const seen = stack.sandbox.router.log.length;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const fresh = stack.sandbox.router.log.slice(seen).filter((e) => e.vendor !== 'sandbox').length;
    if (fresh >= 3) return;
    await sleep(100);
  }
}
