/**
 * Where the contract suites run. Every suite runs against the local sandbox; with
 * `PRODOPS_CONTRACT=jira,notion,google` (any of them) the same cases also run against the real
 * vendor, with the accounts the environment names. A vendor named without its credentials fails
 * the run, naming what is missing: the suite is never green for a vendor it did not reach.
 * Without the variable the live cases are skipped and say so.
 */
import { describe } from 'vitest';
import { parseOrgConfig, type OrgConfig } from '../../domain/config';
import { loadExampleConfig } from '../helpers/config';
import { readFileSync } from 'node:fs';

export type ContractVendor = 'jira' | 'notion' | 'google';
const VENDORS: readonly ContractVendor[] = ['jira', 'notion', 'google'];

/** The vendors `PRODOPS_CONTRACT` asks for; an unknown name is an error, not a silent skip. */
export function contractVendors(env: NodeJS.ProcessEnv = process.env): Set<ContractVendor> {
  const raw = env.PRODOPS_CONTRACT?.trim();
  if (!raw) return new Set();
  const names = raw
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean);
  const unknown = names.filter((n) => !(VENDORS as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new Error(
      `PRODOPS_CONTRACT names ${unknown.map((n) => `"${n}"`).join(', ')}; it takes a comma-separated list of jira, notion, google`,
    );
  return new Set(names as ContractVendor[]);
}

/** The environment variables a live run of a vendor needs, with what each is for. */
export const LIVE_REQUIREMENTS: Record<ContractVendor, [name: string, what: string][]> = {
  jira: [
    ['PRODOPS_JIRA_EMAIL', 'the account the API token belongs to'],
    ['PRODOPS_JIRA_API_TOKEN', 'its API token'],
    ['PRODOPS_CONTRACT_JIRA_URL', 'the test site, https://<site>.atlassian.net'],
    ['PRODOPS_CONTRACT_JIRA_PROJECT', 'a project key the suite may create and delete issues in'],
  ],
  notion: [
    ['PRODOPS_NOTION_TOKEN', 'an internal integration token of the test workspace'],
    [
      'PRODOPS_CONTRACT_NOTION_DATA_SOURCE',
      'a data source shared with the integration, with "Name" (title), "prodops key" (text) and "Related" (a relation to itself)',
    ],
  ],
  google: [
    [
      'PRODOPS_GOOGLE_SERVICE_ACCOUNT',
      'a service-account key with domain-wide delegation (or the PRODOPS_GOOGLE_CLIENT_ID/SECRET/REFRESH_TOKEN trio)',
    ],
    ['PRODOPS_CONTRACT_GOOGLE_USER', 'a test user of the domain, whose calendar and mailbox the suite uses'],
  ],
};

function missingFor(vendor: ContractVendor, env: NodeJS.ProcessEnv): string[] {
  return LIVE_REQUIREMENTS[vendor]
    .filter(([name]) => {
      if (name === 'PRODOPS_GOOGLE_SERVICE_ACCOUNT')
        return !env.PRODOPS_GOOGLE_SERVICE_ACCOUNT && !env.PRODOPS_GOOGLE_REFRESH_TOKEN;
      return !env[name];
    })
    .map(([name, what]) => `${name} (${what})`);
}

/** The configuration a live run reads its names from: the team's own (PRODOPS_CONFIG), else the example. */
export function contractConfig(env: NodeJS.ProcessEnv = process.env): OrgConfig {
  const path = env.PRODOPS_CONFIG;
  return path ? parseOrgConfig(readFileSync(path, 'utf8'), path) : loadExampleConfig();
}

export type TargetName = 'sandbox' | 'live';

export interface Target {
  name: TargetName;
  /** Whether cases that only the sandbox can stage (an injected fault, a chosen lag) apply. */
  staged: boolean;
}

/**
 * Declares a vendor's suite once per target: always on the sandbox, on the real vendor when
 * PRODOPS_CONTRACT names it. The live block's title says how to run it when it is skipped.
 */
export function contractSuite(vendor: ContractVendor, body: (target: Target) => void): void {
  const wanted = contractVendors().has(vendor);
  describe(`${vendor} contract [sandbox]`, () => body({ name: 'sandbox', staged: true }));
  const title = wanted
    ? `${vendor} contract [live]`
    : `${vendor} contract [live] skipped: set PRODOPS_CONTRACT=${vendor} and ${LIVE_REQUIREMENTS[vendor]
        .map(([name]) => name)
        .join(', ')} to run it against a real account`;
  if (!wanted) {
    process.stderr.write(`${title}\n`);
    describe.skip(title, () => body({ name: 'live', staged: false }));
    return;
  }
  const missing = missingFor(vendor, process.env);
  if (missing.length > 0)
    throw new Error(`PRODOPS_CONTRACT names ${vendor}, but the environment lacks ${missing.join('; ')}`);
  describe(title, () => body({ name: 'live', staged: false }));
}

/** A run-unique tag for what a suite creates, so that anything a failed clean-up left is easy to find. */
export const RUN_TAG = `prodops-contract-${new Date()
  .toISOString()
  .replace(/[-:.TZ]/g, '')
  .slice(0, 14)}-${process.pid}`;

/** Things to remove after a suite, newest first; every removal is tried even when one fails. */
export class Cleanup {
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = [];

  add(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }

  async run(): Promise<void> {
    const problems: string[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.run();
      } catch (error) {
        problems.push(`${step.what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (problems.length > 0)
      throw new Error(`clean-up left artifacts behind (tag ${RUN_TAG}):\n${problems.join('\n')}`);
  }
}

/** Polls until `probe` answers, or gives up after `timeoutMs`; returns the answer and how long it took. */
export async function within<T>(
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 1000,
): Promise<{ value: T | undefined; waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    const waitedMs = Date.now() - started;
    if (value !== undefined || waitedMs >= timeoutMs) return { value, waitedMs };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A figure the live run learned about the vendor, printed for whoever reads the log. */
export function report(vendor: ContractVendor, target: Target, message: string): void {
  process.stdout.write(`[${vendor} contract, ${target.name}] ${message}\n`);
}
