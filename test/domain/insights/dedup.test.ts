/**
 * Deduplication on the 200-item fixture (exact repeats, reworded near-duplicates and hard
 * negatives, labelled by what a person would say they are), and the backlog's own rules: every
 * merge keeps every link, unmerge separates for good, tags, sweeps, month counts.
 */
import { describe, expect, it } from 'vitest';
import {
  Backlog,
  emptyBacklog,
  insightShardOf,
  parseInsightId,
  type Arrival,
} from '../../../domain/insights/backlog';
import {
  jaccard,
  normaliseForSimilarity,
  similarity,
  wordTrigrams,
} from '../../../domain/insights/similarity';
import { FIXTURE_TAXONOMY, loadFixture, runFixture } from './fixture';

const DAY = 86_400_000;
const T0 = Date.parse('2027-03-01T09:00:00Z');

function arrival(overrides: Partial<Arrival> = {}): Arrival {
  return {
    source: 'zendesk',
    externalId: '1',
    account: 'Acme Corp',
    text: 'The export to CSV times out for large workspaces and the retry starts from scratch',
    segment: 'enterprise',
    theme: 'performance',
    severity: 'high',
    area: 'reports',
    evidenceType: 'quote',
    link: 'https://zendesk.example/1',
    occurredAt: T0,
    via: 'webhook',
    ...overrides,
  };
}

const backlog = () =>
  new Backlog(emptyBacklog(3), {
    threshold: 0.8,
    windowDays: 30,
    closeOpenAfterDays: 180,
    rememberClosedDays: 400,
    timezone: 'Europe/London',
  });

describe('word-trigram similarity', () => {
  it('compares normalised words: case, accents and punctuation do not count', () => {
    expect(normaliseForSimilarity('  Export to CSV — TIMES out!! Café  ')).toBe(
      'export to csv times out cafe',
    );
    expect(
      similarity(
        normaliseForSimilarity('Export to CSV times out'),
        normaliseForSimilarity('export to csv, times out!'),
      ),
    ).toBe(1);
  });

  it('is the Jaccard index of word trigrams', () => {
    const a = wordTrigrams('the export to csv times out');
    const b = wordTrigrams('the export to pdf times out');
    // a: the export to, export to csv, to csv times, csv times out; b shares only the first.
    expect([...a]).toHaveLength(4);
    expect(jaccard(a, b)).toBeCloseTo(1 / 7, 5);
  });

  it('treats a text of one or two words as a single shingle, and nothing as unlike anything', () => {
    expect(similarity('slow export', 'slow export')).toBe(1);
    expect(similarity('slow export', 'slow import')).toBe(0);
    expect(similarity('', '')).toBe(0);
  });

  it('keeps at most the first thousand characters, cut at a word', () => {
    const long = 'word '.repeat(400);
    const kept = normaliseForSimilarity(long);
    expect(kept.length).toBeLessThanOrEqual(1000);
    expect(kept.endsWith('word')).toBe(true);
  });
});

describe('deduplication on the 200-item fixture', () => {
  const scored = runFixture(0.8);
  const fixture = loadFixture();

  it('holds 200 arrivals with exact repeats, near-duplicates and hard negatives', () => {
    expect(fixture).toHaveLength(200);
    const kinds = new Set(fixture.map((a) => a.label.kind));
    expect([...kinds].sort()).toEqual(['exact', 'hard-negative', 'near', 'new']);
  });

  it('recognises every exact repeat as the same item, and nothing else', () => {
    expect(scored.exact).toMatchObject({ fn: 0, fp: 0, precision: 1, recall: 1 });
    expect(scored.exact.tp).toBe(fixture.filter((a) => a.label.kind === 'exact').length);
  });

  it('merges only the same account and theme, within 30 days, at least 0.8 similar', () => {
    for (const { arrival: a, outcome } of scored.outcomes) {
      if (outcome.kind !== 'merged') continue;
      const item = scored.backlog.item(outcome.id)!;
      const into = scored.backlog.item(outcome.into)!;
      expect(item.account.trim().toLowerCase()).toBe(into.account.trim().toLowerCase());
      expect(item.tags.theme).toBe(into.tags.theme);
      expect(outcome.similarity).toBeGreaterThanOrEqual(0.8);
      const pieces = [into, ...into.merged.map((id) => scored.backlog.item(id)!)];
      expect(pieces.some((p) => Math.abs(p.at - Date.parse(a.occurredAt)) <= 30 * DAY)).toBe(true);
    }
  });

  it('never merges the same words from another account, or 45 days later', () => {
    for (const { arrival: a, outcome } of scored.outcomes) {
      if (a.label.note === 'same words, another account' || a.label.note === 'same words 45 days later')
        expect(outcome.kind, `${a.source}:${a.externalId} (${a.label.note})`).toBe('new');
    }
  });

  it('always merges a repeat that differs only in case and punctuation', () => {
    const recased = scored.outcomes.filter((o) => o.arrival.label.note === 'recased and punctuated');
    expect(recased.length).toBeGreaterThan(0);
    for (const o of recased) expect(o.outcome.kind).toBe('merged');
  });

  it('is precise at 0.8, and finds more near-duplicates as the threshold falls', () => {
    expect(scored.near.precision).toBeGreaterThanOrEqual(0.85);
    const recalls = [0.9, 0.8, 0.7, 0.6].map((t) => runFixture(t).near.recall);
    for (let i = 1; i < recalls.length; i++) expect(recalls[i]!).toBeGreaterThanOrEqual(recalls[i - 1]!);
    expect(recalls.at(-1)!).toBeGreaterThan(recalls[1]!);
  });

  it('keeps every link: a merged near-duplicate is evidence of the first item, with its own link', () => {
    for (const { outcome } of scored.outcomes) {
      if (outcome.kind !== 'merged') continue;
      const view = scored.backlog.view(scored.backlog.item(outcome.into)!);
      const piece = view.merged.find((m) => m.id === outcome.id);
      expect(piece?.link).toBe(scored.backlog.item(outcome.id)!.link);
    }
  });
});

describe('the backlog', () => {
  it('spreads accounts over shards by their normalised name', () => {
    expect(insightShardOf('Acme Corp', 4)).toBe(insightShardOf('  ACME   corp ', 4));
    const shards = new Set(loadFixture().map((a) => insightShardOf(a.account, 4)));
    expect(shards.size).toBe(4);
    expect(parseInsightId('ins-3-17')).toEqual({ shard: 3, seq: 17 });
    expect(parseInsightId('INS-3-17')).toEqual({ shard: 3, seq: 17 });
    expect(parseInsightId('ins-3-0')).toBeNull();
  });

  it('marks an item missing theme, segment, severity or area as needing tagging, and keeps unknown values as problems', () => {
    const b = backlog();
    const outcome = b.receive(
      arrival({ theme: 'billing bug', severity: null, area: null }),
      FIXTURE_TAXONOMY,
      T0,
    );
    expect(outcome).toMatchObject({ kind: 'new', needsTagging: ['theme', 'severity', 'area'] });
    const item = b.item(outcome.id)!;
    expect(item.problems).toEqual([expect.stringMatching(/^theme "billing bug" is not one of onboarding, /)]);
    expect(b.rankable()).toHaveLength(0);
    expect(b.needingTags().map((i) => i.id)).toEqual([outcome.id]);
  });

  it('reads taxonomy values as people write them', () => {
    const b = backlog();
    const outcome = b.receive(
      arrival({
        theme: 'UX-friction',
        segment: 'Mid market',
        severity: 'HIGH',
        evidenceType: 'NPS verbatim',
        area: 'Reports',
      }),
      FIXTURE_TAXONOMY,
      T0,
    );
    expect(b.item(outcome.id)!.tags).toEqual({
      theme: 'ux-friction',
      segment: 'mid-market',
      severity: 'high',
      area: 'reports',
      evidenceType: 'nps-verbatim',
    });
  });

  it('fills in what a repeat adds, never overwrites, and counts repeats', () => {
    const b = backlog();
    const first = b.receive(arrival({ severity: null }), FIXTURE_TAXONOMY, T0);
    const again = b.receive(arrival({ severity: 'low', segment: 'smb' }), FIXTURE_TAXONOMY, T0 + 1000);
    expect(again).toEqual({ kind: 'repeat', id: first.id, needsTagging: [], filled: ['severity'] });
    expect(b.item(first.id)!.tags.segment).toBe('enterprise');
    expect(b.item(first.id)!.repeats).toBe(1);
  });

  it('undoes a wrong merge, and the two never merge again', () => {
    const b = backlog();
    const first = b.receive(arrival(), FIXTURE_TAXONOMY, T0);
    const second = b.receive(
      arrival({
        externalId: '2',
        link: 'https://zendesk.example/2',
        text: 'The export to CSV times out for large workspaces and the retry starts from scratch!',
      }),
      FIXTURE_TAXONOMY,
      T0 + DAY,
    );
    expect(second).toMatchObject({ kind: 'merged', into: first.id });
    expect(() => b.unmerge(first.id)).toThrow(/is the first item; name the merged one \(ins-3-2\)/);
    const { item, from } = b.unmerge(second.id);
    expect(item.mergedInto).toBeNull();
    expect(from.merged).toEqual([]);
    expect(
      b
        .rankable()
        .map((r) => r.id)
        .sort(),
    ).toEqual([first.id, second.id]);
    // A third like them merges into the first, not the separated one's group... and not into it.
    const third = b.receive(arrival({ externalId: '3', link: null }), FIXTURE_TAXONOMY, T0 + 2 * DAY);
    expect(third).toMatchObject({ kind: 'merged', into: first.id });
    // Tagging the separated one again never brings it back.
    b.tag(second.id, { theme: 'reliability' }, 'priya', FIXTURE_TAXONOMY, T0 + 3 * DAY);
    b.tag(second.id, { theme: 'performance' }, 'priya', FIXTURE_TAXONOMY, T0 + 3 * DAY);
    expect(b.item(second.id)!.mergedInto).toBeNull();
  });

  it('merges an item tagged later into the earlier one it near-duplicates', () => {
    const b = backlog();
    const first = b.receive(arrival(), FIXTURE_TAXONOMY, T0);
    const untagged = b.receive(arrival({ externalId: '2', theme: null }), FIXTURE_TAXONOMY, T0 + DAY);
    expect(untagged.kind).toBe('new');
    const { mergedInto } = b.tag(
      untagged.id,
      { theme: 'Performance' },
      'priya',
      FIXTURE_TAXONOMY,
      T0 + 2 * DAY,
    );
    expect(mergedInto).toBe(first.id);
    expect(b.item(untagged.id)!.taggedBy).toEqual({ by: 'priya', at: T0 + 2 * DAY });
  });

  it('refuses a hand tag that names nothing, and never a Notion edit', () => {
    const b = backlog();
    const item = b.receive(arrival(), FIXTURE_TAXONOMY, T0);
    expect(() => b.tag(item.id, { area: 'payments' }, 'priya', FIXTURE_TAXONOMY, T0)).toThrow(
      /area "payments" is not a product area/,
    );
    const { changed } = b.editRow(
      item.id,
      { theme: 'Performance', segment: 'Enterprise', severity: 'High', area: 'payments', evidenceType: null },
      'priya@northwind.example',
      FIXTURE_TAXONOMY,
      T0,
    );
    expect(changed).toEqual(['area', 'evidenceType']);
    expect(b.item(item.id)!.problems).toEqual([expect.stringMatching(/^area "payments"/)]);
    expect(b.needingTags()).toHaveLength(1);
  });

  it('closes a routed round with its decision, then keeps only the key: a late repeat stays closed', () => {
    const b = backlog();
    const item = b.receive(arrival(), FIXTURE_TAXONOMY, T0);
    b.markRouted('reports:performance:2027-W09', [item.id]);
    expect(b.rankable()[0]!.round).toBe('reports:performance:2027-W09');
    b.markDecided('reports:performance:2027-W09', 'backlog', [item.id], T0 + DAY);
    expect(b.rankable()).toHaveLength(0);
    b.forgetText(item.id);
    expect(b.sweep(T0 + 40 * DAY)).toEqual({ stale: [], evicted: 1 });
    expect(b.size).toBe(0);
    expect(b.receive(arrival(), FIXTURE_TAXONOMY, T0 + 50 * DAY)).toEqual({
      kind: 'closed-repeat',
      id: item.id,
    });
    // Remembered for rememberClosedDays only.
    b.sweep(T0 + 500 * DAY);
    expect(b.receive(arrival(), FIXTURE_TAXONOMY, T0 + 500 * DAY).kind).toBe('new');
  });

  it('closes open items without new evidence as stale, but never items waiting for tags', () => {
    const b = backlog();
    const tagged = b.receive(arrival(), FIXTURE_TAXONOMY, T0);
    const untagged = b.receive(
      arrival({ externalId: '2', area: null, text: 'Nobody can find the audit log for seat changes' }),
      FIXTURE_TAXONOMY,
      T0,
    );
    expect(untagged.kind).toBe('new');
    b.forgetText(tagged.id);
    b.forgetText(untagged.id);
    expect(b.sweep(T0 + 181 * DAY).stale).toEqual([tagged.id]);
    expect(b.item(untagged.id)).toBeDefined();
  });

  it('keeps text that is not in Notion yet, whatever its age', () => {
    const b = backlog();
    const item = b.receive(arrival(), FIXTURE_TAXONOMY, T0);
    b.markDecided('r', 'addressed', [item.id], T0);
    expect(b.sweep(T0 + 60 * DAY).evicted).toBe(0);
    b.forgetText(item.id);
    expect(b.sweep(T0 + 60 * DAY).evicted).toBe(1);
  });

  it('counts each month: items, evidence, High, distinct accounts, moved when an item is retagged', () => {
    const b = backlog();
    const one = b.receive(arrival(), FIXTURE_TAXONOMY, T0);
    b.receive(
      arrival({ externalId: '2', text: `${arrival().text}!`, severity: 'low' }),
      FIXTURE_TAXONOMY,
      T0,
    );
    b.receive(
      arrival({
        externalId: '3',
        account: 'Globex',
        text: 'Another thing entirely about exports being slow',
      }),
      FIXTURE_TAXONOMY,
      T0,
    );
    const march = b.monthFigures('2027-03').tallies;
    expect(march).toEqual([
      expect.objectContaining({
        area: 'reports',
        theme: 'performance',
        items: 2,
        evidence: 3,
        high: 2,
        accounts: ['acme corp', 'globex'],
      }),
    ]);
    b.tag(one.id, { area: 'dashboards' }, 'priya', FIXTURE_TAXONOMY, T0);
    const after = b.monthFigures('2027-03').tallies;
    expect(after.find((t) => t.area === 'reports')).toMatchObject({
      items: 1,
      evidence: 1,
      high: 1,
      accounts: ['globex'],
    });
    expect(after.find((t) => t.area === 'dashboards')).toMatchObject({
      items: 1,
      evidence: 2,
      high: 1,
      accounts: ['acme corp'],
    });
  });
});
