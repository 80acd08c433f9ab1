/**
 * The work a product-ops team sends prodops, in waves: new releases of every tier from Jira,
 * leave requests, freelancer intakes from Notion and subscriptions from the command line, and
 * meanwhile re-plans (a launch moved, a tier changed) and confirmations (readiness, leave) for
 * what earlier waves started. Each arrives by its real channel: a signed webhook through the
 * gateway, or the CLI acting as a configured operator with their own key.
 *
 * A wave is prepared first (the vendor-side edits made in the sandbox, the webhooks built) and
 * delivered second, so that a fault injected in between hits prodops and not the preparation.
 */
import { randomUUID } from 'node:crypto';
import { main } from '../../cli/main';
import { addCalendarDays } from '../../domain/business-calendar';
import {
  notionDelivery,
  jiraDelivery,
  sendVendorRequest,
  type VendorRequest,
} from '../../sandbox/simulate/vendor-events';
import { simulateFreelancerIntake, simulateJiraIssue } from '../../sandbox/simulate/simulation';
import { leaveStatus } from '../../workflows/leave/messages';
import { leaveWorkflowId, releaseWorkflowId } from '../../contracts/ids';
import { SECRETS } from '../../test/triggers/fixtures';
import type { ChaosStack } from './stack';

export type ProcessKind = 'release' | 'leave' | 'onboarding' | 'renewal';

/** A workflow prodops acknowledged: the gateway answered 2xx, or the CLI exited 0. */
export interface Tracked {
  kind: ProcessKind;
  workflowId: string;
  /** The wave that started it. */
  wave: number;
}

export interface MixSize {
  releases: number;
  leaves: number;
  onboardings: number;
  renewals: number;
}

/** How a wave's deliveries are sent. */
export interface DeliveryPlan {
  /** Copies of each webhook (1 normally; 3 to 10 for duplicate deliveries). */
  copies: () => number;
  /** Copies held back and sent again after recovery, as a vendor's late retries arrive. */
  lateShare: number;
}

interface PreparedRelease {
  key: string;
  tier: 1 | 2 | 3;
  pm: string;
}

export interface Wave {
  number: number;
  webhooks: VendorRequest[];
  /** CLI commands, each as the operator who runs it. */
  commands: { operator: string; argv: string[]; starts?: Tracked }[];
  /** Workflows the webhooks start, acknowledged once their delivery is. */
  starts: { request: VendorRequest; tracked: Tracked }[];
}

const PMS = ['ana', 'ben', 'chloe', 'dev', 'erin', 'farid', 'gita', 'hugo'] as const;
/** People whose leave the mix requests, with a buddy and a manager each. */
const LEAVE_PEOPLE = [
  'ana',
  'ben',
  'dev',
  'erin',
  'gita',
  'hugo',
  'maya',
  'sam',
  'tom',
  'lena',
  'omar',
] as const;

export class Mix {
  readonly tracked: Tracked[] = [];
  private readonly releases: PreparedRelease[] = [];
  private readonly leaves: { workflowId: string; person: string }[] = [];
  private releaseSeq = 0;
  private leaveSeq = 0;
  private onboardingSeq = 0;
  private renewalSeq = 0;
  /** Deliveries held back for a late resend. */
  private readonly late: VendorRequest[] = [];
  readonly problems: string[] = [];
  /**
   * Pages the mix itself added to Notion with the integration's credentials (the intake rows a
   * person would fill in): the audit counts them as unkeyed, and they are not prodops' doing.
   */
  simulatedPages = 0;

  constructor(
    private readonly stack: ChaosStack,
    private readonly runId: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Builds wave `number`: its share of new work, and re-plans and confirmations for earlier work. */
  async prepare(number: number, size: MixSize): Promise<Wave> {
    const { stack } = this;
    const wave: Wave = { number, webhooks: [], commands: [], starts: [] };
    const sandboxUrl = stack.sandbox.url;
    const earlier = [...this.releases];

    for (let i = 0; i < size.releases; i++) {
      const n = this.releaseSeq++;
      const tier = ((n % 3) + 1) as 1 | 2 | 3;
      const pm = PMS[n % PMS.length]!;
      // Launches from late February on: every tier has its lead time, on different days.
      const launch = addCalendarDays('2027-02-22', (n * 3) % 60);
      const payload = await simulateJiraIssue(sandboxUrl, stack.config, {
        tier,
        launch,
        pm,
        title: `Chaos release ${this.runId}-${n}`,
        area: n % 2 === 0 ? 'billing' : 'onboarding',
      });
      if (!payload) throw new Error('the sandbox made no webhook for a new release issue');
      const key = payload.issue.key;
      const request = jiraDelivery(payload, SECRETS.jira[0]!);
      wave.webhooks.push(request);
      wave.starts.push({
        request,
        tracked: { kind: 'release', workflowId: releaseWorkflowId(key), wave: number },
      });
      this.releases.push({ key, tier, pm });
    }

    // Re-plans of earlier releases: every third moves its launch a week, every fifth changes tier.
    for (const [index, release] of earlier.entries()) {
      if ((index + number) % 3 === 0) {
        const payload = await simulateJiraIssue(sandboxUrl, stack.config, {
          key: release.key,
          launch: addCalendarDays('2027-03-01', ((index + number) * 5) % 50),
          as: release.pm,
        });
        if (payload) wave.webhooks.push(jiraDelivery(payload, SECRETS.jira[0]!));
      } else if ((index + number) % 5 === 1) {
        const tier = ((release.tier % 3) + 1) as 1 | 2 | 3;
        const payload = await simulateJiraIssue(sandboxUrl, stack.config, {
          key: release.key,
          tier,
          as: release.pm,
        });
        if (payload) wave.webhooks.push(jiraDelivery(payload, SECRETS.jira[0]!));
        release.tier = tier;
      }
    }
    // Readiness confirmations of earlier releases, from the command line as the Support and Sales leads.
    for (const [index, release] of earlier.entries()) {
      if (release.tier === 1 || (index + number) % 2 !== 0) continue;
      const team = (index + number) % 4 === 0 ? 'support' : 'sales';
      const by = team === 'support' ? 'maya' : 'nora';
      wave.commands.push({
        operator: by,
        argv: ['release', 'confirm', release.key, '--team', team, '--by', by],
      });
    }

    for (let i = 0; i < size.leaves; i++) {
      const n = this.leaveSeq++;
      const person = LEAVE_PEOPLE[n % LEAVE_PEOPLE.length]!;
      // Two working weeks apart per person, from January on: a Monday to a Wednesday.
      const from = addCalendarDays('2027-01-04', 14 * Math.floor(n / LEAVE_PEOPLE.length) * 2 + 7 * (n % 2));
      const to = addCalendarDays(from, 2);
      const workflowId = leaveWorkflowId(person, from);
      const tracked: Tracked = { kind: 'leave', workflowId, wave: number };
      wave.commands.push({
        operator: person,
        argv: ['leave', 'request', '--person', person, '--from', from, '--to', to, '--json'],
        starts: tracked,
      });
      this.leaves.push({ workflowId, person });
    }
    // Confirmations of earlier requests still waiting for them, as the buddy and the manager.
    for (const leave of this.leaves) {
      if (this.tracked.every((t) => t.workflowId !== leave.workflowId)) continue;
      const status = await stack.client.workflow
        .getHandle(leave.workflowId)
        .query(leaveStatus)
        .catch(() => null);
      if (!status || status.phase !== 'awaiting-confirmation') continue;
      const request = `${leave.person}+${leave.workflowId.split(':').at(-1)}`;
      for (const [role, who] of [
        ['buddy', status.buddy?.id],
        ['manager', status.manager?.id],
      ] as const) {
        if (!who || status.confirmations[role]) continue;
        wave.commands.push({
          operator: who,
          argv: ['leave', 'confirm', request, '--by', who, '--decision', 'approve'],
        });
      }
    }

    for (let i = 0; i < size.onboardings; i++) {
      const n = this.onboardingSeq++;
      const id = `chaos-${this.runId}-${n}`;
      // Tuesdays from March on: working days in every calendar of the example (Easter Monday is not).
      const start = addCalendarDays('2027-03-02', 7 * n);
      const event = await simulateFreelancerIntake(sandboxUrl, stack.config, {
        name: `Chaos Freelancer ${n}`,
        email: `${id}@freelance.example`,
        team: 'growth',
        manager: 'ana',
        country: 'DE',
        start,
        end: addCalendarDays(start, 90),
        tools: ['jira', 'notion'],
      });
      this.simulatedPages += 1;
      const request = notionDelivery(event, SECRETS.notion[0]!);
      wave.webhooks.push(request);
      wave.starts.push({
        request,
        tracked: { kind: 'onboarding', workflowId: `onboarding:${id}`, wave: number },
      });
    }

    for (let i = 0; i < size.renewals; i++) {
      const n = this.renewalSeq++;
      const id = `chaos-${this.runId}-${n}`;
      wave.commands.push({
        operator: 'priya',
        argv: [
          'renewal',
          'add',
          id,
          '--tool',
          `Chaos tool ${n}`,
          '--renews',
          addCalendarDays('2027-04-01', 11 * n),
          '--notice-days',
          '30',
          '--cost',
          String(1000 + 100 * n),
          '--currency',
          stack.config.renewals.baseCurrency,
          '--cycle',
          'annual',
          '--owner',
          PMS[n % PMS.length]!,
          '--by',
          'priya',
          '--json',
        ],
        starts: { kind: 'renewal', workflowId: `subscription:${id}`, wave: number },
      });
    }
    return wave;
  }

  /**
   * Sends the wave: its webhooks (each `copies()` times, shuffled together, a vendor's retry
   * after any answer but 2xx) and its commands (retried while the server cannot be reached, as
   * a person would run them again).
   */
  async deliver(wave: Wave, plan: DeliveryPlan): Promise<void> {
    const sends: VendorRequest[] = [];
    for (const request of wave.webhooks) {
      const copies = plan.copies();
      for (let c = 0; c < copies; c++) {
        if (c > 0 && Math.random() < plan.lateShare) this.late.push(request);
        else sends.push(request);
      }
    }
    shuffle(sends);
    const acknowledged = new Set<VendorRequest>();
    // A few at a time, as vendors deliver.
    let next = 0;
    const lanes = Array.from({ length: 8 }, async () => {
      while (next < sends.length) {
        const request = sends[next++]!;
        if (await this.send(request)) acknowledged.add(request);
      }
    });
    const commands = this.runCommands(wave);
    await Promise.all([...lanes, commands]);
    for (const start of wave.starts) {
      if (acknowledged.has(start.request)) this.tracked.push(start.tracked);
      else this.problems.push(`${start.tracked.workflowId}: its delivery was never acknowledged`);
    }
  }

  /** The deliveries held back, sent now: vendors' retries arriving minutes late, out of order. */
  async deliverLate(): Promise<number> {
    const late = this.late.splice(0);
    shuffle(late);
    for (const request of late) await this.send(request);
    return late.length;
  }

  /** One delivery until the gateway acknowledges it (a vendor retries for hours); false if it never did. */
  private async send(request: VendorRequest): Promise<boolean> {
    for (let attempt = 1; attempt <= 60; attempt++) {
      try {
        const { status } = await sendVendorRequest(this.stack.gateway.url, request);
        if (status >= 200 && status < 300) return true;
        if (status >= 400 && status < 500 && status !== 429 && status !== 408) {
          this.problems.push(`the gateway refused a delivery to ${request.path} with ${status}`);
          return false;
        }
      } catch {
        // The connection failed: retried like any other failure.
      }
      await new Promise((r) => setTimeout(r, Math.min(500 * attempt, 3_000)));
    }
    return false;
  }

  private async runCommands(wave: Wave): Promise<void> {
    // One at a time: the CLI reads the operator's key from the environment.
    for (const command of wave.commands) {
      const outcome = await this.runCli(command.operator, command.argv);
      if (command.starts) {
        if (outcome === 0) this.tracked.push(command.starts);
        else
          this.problems.push(
            `${command.starts.workflowId}: \`prodops ${command.argv.slice(0, 2).join(' ')}\` never succeeded`,
          );
      }
    }
  }

  /**
   * `prodops <argv>` as `operator`, again while it fails for want of a server (exit 3 or an
   * error about the connection); a refusal by the workflow (exit 1) is an answer, not a failure.
   */
  private async runCli(operator: string, argv: string[]): Promise<number> {
    const key = this.stack.operators.keys[operator];
    if (!key) throw new Error(`no operator key for ${operator}`);
    let last: string[] = [];
    for (let attempt = 1; attempt <= 40; attempt++) {
      const lines: string[] = [];
      const before = process.env.PRODOPS_OPERATOR_KEY;
      process.env.PRODOPS_OPERATOR_KEY = key;
      let code: number;
      try {
        code = await main([...argv, '--config', this.stack.configPath], {
          out: (line) => lines.push(line),
          err: (line) => lines.push(line),
        });
      } finally {
        if (before === undefined) delete process.env.PRODOPS_OPERATOR_KEY;
        else process.env.PRODOPS_OPERATOR_KEY = before;
      }
      last = lines;
      const unreachable = code === 1 && UNREACHABLE.test(lines.join('\n'));
      if (!unreachable) {
        if (code === 2) this.problems.push(`prodops ${argv.join(' ')}: ${lines.join(' | ')}`);
        return code;
      }
      await new Promise((r) => setTimeout(r, Math.min(500 * attempt, 3_000)));
    }
    this.log(`prodops ${argv.join(' ')} kept failing: ${last.join(' | ')}`);
    return -1;
  }
}

/** What the CLI says when the server or the worker could not be reached: worth running again. */
const UNREACHABLE =
  /no worker answered|unavailable|ECONNREFUSED|connect|deadline exceeded|timed out|cannot reach|could not reach/i;

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

export const uniqueRunId = (): string => randomUUID().slice(0, 6);
