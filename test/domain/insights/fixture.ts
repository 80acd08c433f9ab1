/**
 * Runs the 200-item fixture (test/fixtures/insights/items-200.json) through the backlog's intake
 * rules, in arrival order, and scores what it did against the labels: exact repeats recognised,
 * near-duplicates merged into the item they repeat, nothing else merged.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Backlog, emptyBacklog, insightKeyOf, type IntakeOutcome } from '../../../domain/insights/backlog';
import {
  DEFAULT_EVIDENCE_TYPES,
  DEFAULT_SEGMENTS,
  DEFAULT_THEMES,
  type InsightTaxonomy,
} from '../../../domain/insights/taxonomy';
import type { FixtureArrival } from '../../fixtures/insights/generate';

export const FIXTURE_AREAS = [
  'onboarding',
  'billing',
  'dashboards',
  'reports',
  'integrations',
  'api',
  'workspace',
  'collaboration',
];

export const FIXTURE_TAXONOMY: InsightTaxonomy = {
  themes: DEFAULT_THEMES,
  segments: DEFAULT_SEGMENTS,
  evidenceTypes: DEFAULT_EVIDENCE_TYPES,
  areas: FIXTURE_AREAS.map((id) => ({ id, name: id, pm: 'ana' })),
};

export function loadFixture(): FixtureArrival[] {
  const path = fileURLToPath(new URL('../../fixtures/insights/items-200.json', import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as FixtureArrival[];
}

export interface Scored {
  outcomes: { arrival: FixtureArrival; outcome: IntakeOutcome }[];
  backlog: Backlog;
  exact: { tp: number; fp: number; fn: number; precision: number; recall: number };
  near: { tp: number; fp: number; fn: number; precision: number; recall: number };
  /** Near-duplicates missed, and merges no label asked for, for reading. */
  misses: { arrival: FixtureArrival; outcome: IntakeOutcome }[];
  wrongMerges: { arrival: FixtureArrival; outcome: IntakeOutcome }[];
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : Math.round((a / b) * 1000) / 1000);

export function runFixture(threshold = 0.8): Scored {
  const arrivals = loadFixture();
  const backlog = new Backlog(emptyBacklog(0), {
    threshold,
    windowDays: 30,
    closeOpenAfterDays: 180,
    rememberClosedDays: 400,
    timezone: 'Europe/London',
  });
  const outcomes = arrivals.map((arrival) => {
    const at = Date.parse(arrival.occurredAt);
    const outcome = backlog.receive(
      { ...arrival, occurredAt: at, via: 'webhook' },
      FIXTURE_TAXONOMY,
      // Each arrives a few minutes after it was given.
      at + 5 * 60_000,
    );
    return { arrival, outcome };
  });
  const idOfKey = (key: string) => backlog.itemByKey(key)?.id;

  let exactTp = 0;
  let exactFp = 0;
  let exactFn = 0;
  let nearTp = 0;
  let nearFp = 0;
  let nearFn = 0;
  const misses: Scored['misses'] = [];
  const wrongMerges: Scored['wrongMerges'] = [];
  for (const entry of outcomes) {
    const { arrival, outcome } = entry;
    const label = arrival.label;
    const isRepeat = outcome.kind === 'repeat' || outcome.kind === 'closed-repeat';
    if (label.kind === 'exact') {
      if (isRepeat && outcome.id === idOfKey(label.of!)) exactTp++;
      else exactFn++;
    } else if (isRepeat) exactFp++;

    if (label.kind === 'near') {
      // Merged into the item it repeats (or into the first item that item was merged into).
      const base = backlog.itemByKey(label.of!);
      const target = base ? backlog.primaryOf(base).id : undefined;
      if (outcome.kind === 'merged' && outcome.into === target) nearTp++;
      else {
        nearFn++;
        misses.push(entry);
        if (outcome.kind === 'merged') {
          nearFp++;
          wrongMerges.push(entry);
        }
      }
    } else if (outcome.kind === 'merged') {
      nearFp++;
      wrongMerges.push(entry);
    }
  }
  void insightKeyOf;
  return {
    outcomes,
    backlog,
    exact: {
      tp: exactTp,
      fp: exactFp,
      fn: exactFn,
      precision: ratio(exactTp, exactTp + exactFp),
      recall: ratio(exactTp, exactTp + exactFn),
    },
    near: {
      tp: nearTp,
      fp: nearFp,
      fn: nearFn,
      precision: ratio(nearTp, nearTp + nearFp),
      recall: ratio(nearTp, nearTp + nearFn),
    },
    misses,
    wrongMerges,
  };
}
