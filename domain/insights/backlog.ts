/**
 * The insights backlog of one shard of accounts: every item that is open or recently closed,
 * with the rules that decide what an arriving item is.
 *
 * - **The same item.** The same source and external id is one item however often it arrives: a
 *   repeat fills in fields the item lacks and is counted, nothing more.
 * - **A near-duplicate.** The same account and theme, text at least `threshold` similar (word
 *   trigram Jaccard) and within `windowDays`: merged as extra evidence on the first item, which
 *   keeps every link. `unmerge` undoes a wrong merge and keeps the two apart afterwards.
 * - **Needs tagging.** An item missing theme, segment, severity or area is kept and marked, and
 *   left out of ranking until someone tags it; it is never dropped.
 *
 * What is kept is bounded, so that a long-lived workflow can carry it across continue-as-new:
 * full text only until the item's Notion row holds it, comparison text only while the item can
 * still be matched, decided and stale items reduced to their key (so a late repeat is still
 * recognised), and per-month counts instead of old items.
 *
 * The plain `BacklogData` is what the workflow carries; `Backlog` wraps it with look-ups and is
 * rebuilt from it after every continue-as-new. Pure and deterministic: every time comes in as
 * an argument.
 */
import { localDateOf } from '../business-calendar';
import type { EscalatedItem } from './report';
import { normaliseForSimilarity, similarity } from './similarity';
import {
  excerptOf,
  higherSeverity,
  missingTags,
  normaliseAccount,
  readTags,
  type Disposition,
  type InsightTags,
  type InsightTaxonomy,
  type RawInsight,
  type Severity,
  type TaggingField,
} from './taxonomy';

const DAY_MS = 86_400_000;

/** Where an item came from. */
export type IntakeChannel = 'webhook' | 'notion' | 'cli' | 'csv';

export interface InsightItem {
  /** `ins-<shard>-<n>`: names the shard that holds it. */
  id: string;
  /** `<source>:<external id>`: what makes two arrivals the same item. */
  key: string;
  source: string;
  externalId: string;
  account: string;
  /** The text as received, kept until the item's Notion row holds it. */
  text?: string;
  /** The first words of the text, for digests and listings. */
  excerpt: string;
  /** Normalised text for near-duplicate comparison; dropped once the item is past the window. */
  similar: string | null;
  tags: InsightTags;
  link: string | null;
  /** Values that named nothing in the taxonomy, in words. */
  problems: string[];
  /** When the feedback was given (ms); when it arrived, unless the sender said. */
  at: number;
  receivedAt: number;
  via: IntakeChannel;
  /** Who added it: a person id (command line) or the Notion author's email. */
  by: string | null;
  /** The last hand tagging: who and when. */
  taggedBy: { by: string; at: number } | null;
  /** The first item this one is extra evidence of. */
  mergedInto: string | null;
  /** Extra evidence merged into this one (a first item only). */
  merged: string[];
  /** Items this one must not merge with again: an unmerge separated them. */
  apart: string[];
  /** The routed theme (`<area>:<theme>:<week>`) that carries it to the area's PM. */
  round: string | null;
  decided: { disposition: Disposition; round: string; at: number } | null;
  /** The item's row in the Notion insights data source, once it has one. */
  pageId: string | null;
  /** What the row was last written with (a fingerprint), so a row is written only when it changes. */
  published: string | null;
  /** Arrivals of the same key after the first. */
  repeats: number;
}

/** Per month of arrival, per area and theme: what the monthly digest counts. */
export interface MonthTally {
  month: string;
  area: string;
  theme: string;
  /** First items (near-duplicates are evidence, not items). */
  items: number;
  /** Every piece of evidence, first items and merged ones. */
  evidence: number;
  high: number;
  /** Distinct accounts (normalised). */
  accounts: string[];
  newest: number;
}

/** An item reduced to its key once it is decided or stale: a late repeat is still recognised. */
export type ClosedKey = [key: string, id: string, closedAt: number];

export interface BacklogData {
  shard: number;
  nextSeq: number;
  items: InsightItem[];
  closed: ClosedKey[];
  tallies: MonthTally[];
}

export interface BacklogRules {
  /** Near-duplicates: at least this similar (0–1). */
  threshold: number;
  /** Near-duplicates: given within this many days of each other. */
  windowDays: number;
  /** An open item with no new evidence for this long is closed as stale. */
  closeOpenAfterDays: number;
  /** Keys of closed items are remembered this long, so a late repeat is not a new item. */
  rememberClosedDays: number;
  /** The organisation's time zone: months of arrival are counted in it. */
  timezone: string;
}

export const DEFAULT_BACKLOG_RULES: BacklogRules = {
  threshold: 0.8,
  windowDays: 30,
  closeOpenAfterDays: 180,
  rememberClosedDays: 400,
  timezone: 'UTC',
};

/** Months of counts kept for the monthly digest and `insights report`. */
export const TALLY_MONTHS = 13;
/** Problems kept per item. */
const PROBLEM_LIMIT = 10;

export const formatInsightId = (shard: number, seq: number): string => `ins-${shard}-${seq}`;

export function parseInsightId(id: string): { shard: number; seq: number } | null {
  const match = /^ins-(\d{1,3})-([1-9]\d{0,9})$/.exec(id.trim().toLowerCase());
  return match ? { shard: Number(match[1]), seq: Number(match[2]) } : null;
}

/** FNV-1a, 32 bits: a short, stable fingerprint of a string (not a security hash). */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const ch of text) {
    hash ^= ch.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The shard an account's items live in: FNV-1a of the normalised account. */
export function insightShardOf(account: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1)
    throw new RangeError(`shards must be 1 or more, not ${shards}`);
  return fnv1a(normaliseAccount(account)) % shards;
}

export const insightKeyOf = (source: string, externalId: string): string =>
  `${source.trim().toLowerCase()}:${externalId.trim()}`;

/** An arrival: the raw insight, how it came, and its Notion row when it came from Notion. */
export interface Arrival extends RawInsight {
  via: IntakeChannel;
  by?: string | null;
  pageId?: string | null;
}

export type IntakeOutcome =
  | { kind: 'new'; id: string; needsTagging: TaggingField[]; problems: string[] }
  | { kind: 'merged'; id: string; into: string; similarity: number; problems: string[] }
  | { kind: 'repeat'; id: string; needsTagging: TaggingField[]; filled: string[] }
  | { kind: 'closed-repeat'; id: string };

/** What an item is to the people who look at it. */
export type InsightStatus = 'needs-tagging' | 'open' | 'merged' | 'routed' | 'decided';

export function statusOf(item: InsightItem): InsightStatus {
  if (item.mergedInto !== null) return 'merged';
  if (item.decided) return 'decided';
  if (item.round) return 'routed';
  return missingTags(item.tags).length > 0 ? 'needs-tagging' : 'open';
}

/** One item as the ranking sees it: a first item with its evidence folded in. */
export interface RankableItem {
  id: string;
  area: string;
  theme: string;
  account: string;
  /** The highest severity among its evidence. */
  severity: Severity;
  /** Pieces of evidence: the item and its merged near-duplicates. */
  evidence: number;
  /** The newest evidence, ms. */
  newest: number;
  round: string | null;
}

/** A piece of evidence as a digest shows it. */
export interface EvidenceView {
  id: string;
  source: string;
  externalId: string;
  account: string;
  segment: string | null;
  severity: Severity | null;
  evidenceType: string | null;
  excerpt: string;
  link: string | null;
  at: number;
  pageId: string | null;
}

export interface ItemView extends EvidenceView {
  key: string;
  theme: string | null;
  area: string | null;
  status: InsightStatus;
  needsTagging: TaggingField[];
  problems: string[];
  via: IntakeChannel;
  by: string | null;
  receivedAt: number;
  taggedBy: { by: string; at: number } | null;
  mergedInto: string | null;
  /** The item's merged evidence (a first item), each in full. */
  merged: EvidenceView[];
  round: string | null;
  decided: { disposition: Disposition; round: string; at: number } | null;
  repeats: number;
}

export class BacklogError extends Error {
  constructor(
    message: string,
    readonly kind: 'not-found' | 'invalid' | 'not-allowed',
  ) {
    super(message);
  }
}

export function emptyBacklog(shard: number): BacklogData {
  return { shard, nextSeq: 1, items: [], closed: [], tallies: [] };
}

export class Backlog {
  private readonly byId = new Map<string, InsightItem>();
  private readonly byKey = new Map<string, InsightItem>();
  private readonly closedByKey = new Map<string, ClosedKey>();
  /** First items by normalised account, for near-duplicate look-ups. */
  private readonly byAccount = new Map<string, InsightItem[]>();

  constructor(
    readonly data: BacklogData,
    public rules: BacklogRules = DEFAULT_BACKLOG_RULES,
  ) {
    for (const item of data.items) this.index(item);
    for (const closed of data.closed) this.closedByKey.set(closed[0], closed);
  }

  private index(item: InsightItem): void {
    this.byId.set(item.id, item);
    this.byKey.set(item.key, item);
    if (item.mergedInto === null) this.addToAccount(item);
  }

  private addToAccount(item: InsightItem): void {
    const account = normaliseAccount(item.account);
    const list = this.byAccount.get(account);
    if (list) {
      if (!list.includes(item)) list.push(item);
    } else this.byAccount.set(account, [item]);
  }

  private removeFromAccount(item: InsightItem): void {
    const account = normaliseAccount(item.account);
    const list = this.byAccount.get(account);
    if (!list) return;
    const at = list.indexOf(item);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.byAccount.delete(account);
  }

  get size(): number {
    return this.data.items.length;
  }

  item(id: string): InsightItem | undefined {
    return this.byId.get(id.trim().toLowerCase());
  }

  itemByKey(key: string): InsightItem | undefined {
    return this.byKey.get(key);
  }

  /** The item, or an error naming what is there instead. */
  require(id: string): InsightItem {
    const found = this.item(id);
    if (found) return found;
    const parsed = parseInsightId(id);
    if (!parsed) throw new BacklogError(`"${id}" is not an insight id (they look like ins-2-17)`, 'invalid');
    if (parsed.shard !== this.data.shard)
      throw new BacklogError(`${id} belongs to shard ${parsed.shard}, not ${this.data.shard}`, 'invalid');
    const closed = this.data.closed.find((c) => c[1] === id);
    throw new BacklogError(
      closed
        ? `${id} was closed on ${new Date(closed[2]).toISOString().slice(0, 10)}: its row in Notion keeps it`
        : `there is no insight ${id}`,
      'not-found',
    );
  }

  /** The first item a piece of evidence belongs to (itself when it is one). */
  primaryOf(item: InsightItem): InsightItem {
    return item.mergedInto ? (this.byId.get(item.mergedInto) ?? item) : item;
  }

  // ---- Intake ------------------------------------------------------------------------------

  /** An item arrives: the same item again, a near-duplicate of an open one, or a new item. */
  receive(arrival: Arrival, taxonomy: InsightTaxonomy, now: number): IntakeOutcome {
    const key = insightKeyOf(arrival.source, arrival.externalId);
    const { tags, problems } = readTags(arrival, taxonomy);
    const existing = this.byKey.get(key);
    if (existing) return this.repeat(existing, arrival, tags, problems);
    const closed = this.closedByKey.get(key);
    if (closed) return { kind: 'closed-repeat', id: closed[1] };

    const at = arrival.occurredAt ?? now;
    const item: InsightItem = {
      id: formatInsightId(this.data.shard, this.data.nextSeq++),
      key,
      source: arrival.source.trim().toLowerCase(),
      externalId: arrival.externalId.trim(),
      account: arrival.account.trim(),
      text: arrival.text,
      excerpt: excerptOf(arrival.text),
      similar: normaliseForSimilarity(arrival.text),
      tags,
      link: arrival.link?.trim() || null,
      problems: problems.slice(0, PROBLEM_LIMIT),
      at,
      receivedAt: now,
      via: arrival.via,
      by: arrival.by ?? null,
      taggedBy: null,
      mergedInto: null,
      merged: [],
      apart: [],
      round: null,
      decided: null,
      pageId: arrival.pageId ?? null,
      published: null,
      repeats: 0,
    };
    this.data.items.push(item);
    this.index(item);
    const match = this.nearDuplicateOf(item);
    if (match) {
      this.merge(match.primary, item);
      this.tally(item, +1, this.tallyKey(item));
      return { kind: 'merged', id: item.id, into: match.primary.id, similarity: match.score, problems };
    }
    this.tally(item, +1, this.tallyKey(item));
    return { kind: 'new', id: item.id, needsTagging: missingTags(tags), problems };
  }

  /** The same source and external id again: fill in what the item lacks, count it, nothing more. */
  private repeat(item: InsightItem, arrival: Arrival, tags: InsightTags, problems: string[]): IntakeOutcome {
    item.repeats++;
    const filled: string[] = [];
    const counted = this.counting(this.family(item));
    for (const field of Object.keys(tags) as (keyof InsightTags)[]) {
      if (item.tags[field] === null && tags[field] !== null) {
        (item.tags as unknown as Record<string, string | null>)[field] = tags[field];
        filled.push(field);
      }
    }
    if (item.link === null && arrival.link) {
      item.link = arrival.link.trim();
      filled.push('link');
    }
    if (item.pageId === null && arrival.pageId) item.pageId = arrival.pageId;
    for (const problem of problems) if (!item.problems.includes(problem)) item.problems.push(problem);
    item.problems.splice(0, Math.max(0, item.problems.length - PROBLEM_LIMIT));
    if (filled.includes('theme')) this.mergeAfterTagging(item);
    counted();
    return { kind: 'repeat', id: item.id, needsTagging: missingTags(item.tags), filled };
  }

  /**
   * The open first item `item` near-duplicates: same account and theme, within the window, at
   * least the threshold similar to it or to one of its merged evidence. The earliest wins.
   */
  private nearDuplicateOf(item: InsightItem): { primary: InsightItem; score: number } | null {
    if (item.tags.theme === null || item.similar === null || item.similar === '') return null;
    // Without an account there is nobody to be the same customer as.
    if (normaliseAccount(item.account) === '') return null;
    const window = this.rules.windowDays * DAY_MS;
    const candidates = (this.byAccount.get(normaliseAccount(item.account)) ?? [])
      .filter(
        (p) =>
          p !== item &&
          p.mergedInto === null &&
          p.decided === null &&
          p.tags.theme === item.tags.theme &&
          !item.apart.includes(p.id) &&
          !p.apart.includes(item.id),
      )
      .sort((a, b) => a.at - b.at || a.receivedAt - b.receivedAt);
    for (const primary of candidates) {
      let best = 0;
      for (const piece of [primary, ...primary.merged.map((id) => this.byId.get(id)!)]) {
        if (!piece || piece.similar === null || Math.abs(piece.at - item.at) > window) continue;
        if (item.apart.includes(piece.id) || piece.apart.includes(item.id)) continue;
        best = Math.max(best, similarity(piece.similar, item.similar));
      }
      if (best >= this.rules.threshold) return { primary, score: Math.round(best * 1000) / 1000 };
    }
    return null;
  }

  /** `evidence` (and whatever was merged into it) becomes extra evidence of `primary`. */
  private merge(primary: InsightItem, evidence: InsightItem): void {
    const pieces = [evidence, ...evidence.merged.map((id) => this.byId.get(id)!).filter(Boolean)];
    evidence.merged = [];
    this.removeFromAccount(evidence);
    for (const piece of pieces) {
      piece.mergedInto = primary.id;
      if (!primary.merged.includes(piece.id)) primary.merged.push(piece.id);
      // Evidence follows its first item: routed with it, decided with it.
      piece.round = primary.round;
    }
  }

  /** A theme just set: the item may near-duplicate an earlier one (or an earlier one it). */
  private mergeAfterTagging(item: InsightItem): InsightItem | null {
    if (item.mergedInto !== null || item.decided !== null) return null;
    const match = this.nearDuplicateOf(item);
    if (!match) return null;
    const [first, second] = match.primary.at <= item.at ? [match.primary, item] : [item, match.primary];
    const counted = this.counting([...this.family(first), ...this.family(second)]);
    if (second.round !== null && first.round === null) first.round = second.round;
    this.merge(first, second);
    counted();
    return first;
  }

  // ---- Tagging and unmerging ----------------------------------------------------------------

  /**
   * Sets taxonomy fields by hand (`null` clears one). Values are read against the taxonomy; one
   * that names nothing is refused, so a hand tag is never silently lost.
   */
  tag(
    id: string,
    changes: Partial<Record<keyof InsightTags, string | null>>,
    by: string,
    taxonomy: InsightTaxonomy,
    now: number,
  ): { item: InsightItem; changed: string[]; mergedInto: string | null } {
    const item = this.require(id);
    if (item.decided)
      throw new BacklogError(
        `${item.id} is decided (${item.decided.disposition}): tag a new item instead`,
        'not-allowed',
      );
    const given = Object.fromEntries(
      Object.entries(changes).filter(([, v]) => v !== undefined && v !== null && v.trim() !== ''),
    ) as Partial<Record<keyof InsightTags, string>>;
    const { tags, problems } = readTags(given, taxonomy);
    if (problems.length > 0) throw new BacklogError(problems.join('; '), 'invalid');
    const next: Partial<InsightTags> = {};
    for (const field of Object.keys(changes) as (keyof InsightTags)[]) {
      const value = changes[field];
      if (value === undefined) continue;
      (next as Record<string, string | null>)[field] =
        value === null || value.trim() === '' ? null : tags[field];
    }
    return this.setTags(item, next, [], by, now);
  }

  /**
   * Someone edited the item's row in Notion: its taxonomy fields become what the row shows. A
   * value that names nothing leaves the field empty and is kept as a problem (an edit cannot be
   * refused, and the item then needs tagging again).
   */
  editRow(
    id: string,
    row: Record<keyof InsightTags, string | null>,
    by: string,
    taxonomy: InsightTaxonomy,
    now: number,
  ): { item: InsightItem; changed: string[]; mergedInto: string | null } {
    const item = this.require(id);
    if (item.decided) return { item, changed: [], mergedInto: item.mergedInto };
    const { tags, problems } = readTags(row, taxonomy);
    return this.setTags(item, tags, problems, by, now);
  }

  private setTags(
    item: InsightItem,
    next: Partial<InsightTags>,
    problems: string[],
    by: string,
    now: number,
  ): { item: InsightItem; changed: string[]; mergedInto: string | null } {
    const counted = this.counting(this.family(item));
    const changed: string[] = [];
    for (const field of Object.keys(next) as (keyof InsightTags)[]) {
      const value = next[field] ?? null;
      if (item.tags[field] !== value) {
        (item.tags as unknown as Record<string, string | null>)[field] = value;
        changed.push(field);
      }
    }
    // Problems of the fields given are replaced by the new ones (or cleared).
    const touched = Object.keys(next);
    item.problems = [
      ...item.problems.filter((p) => !touched.some((field) => p.startsWith(problemPrefix(field)))),
      ...problems,
    ].slice(-PROBLEM_LIMIT);
    if (changed.length === 0) {
      counted();
      return { item, changed, mergedInto: item.mergedInto };
    }
    item.taggedBy = { by, at: now };
    // A routed item that moves to another area or theme leaves its round.
    if (item.round && item.mergedInto === null && (changed.includes('area') || changed.includes('theme'))) {
      item.round = null;
      for (const pieceId of item.merged) this.byId.get(pieceId)!.round = null;
    }
    counted();
    const merged = changed.includes('theme') ? this.mergeAfterTagging(item) : null;
    return { item, changed, mergedInto: merged && merged !== item ? merged.id : item.mergedInto };
  }

  /**
   * Undoes a merge: the named piece of evidence becomes an item of its own again, and the two
   * never merge again. Its own evidence is not affected (a piece of evidence has none).
   */
  unmerge(id: string): { item: InsightItem; from: InsightItem } {
    const item = this.require(id);
    if (item.mergedInto === null) {
      const hint =
        item.merged.length > 0
          ? `: it is the first item; name the merged one (${item.merged.join(', ')})`
          : '';
      throw new BacklogError(`${item.id} is not merged into another item${hint}`, 'invalid');
    }
    const from = this.require(item.mergedInto);
    const counted = this.counting([item]);
    from.merged = from.merged.filter((m) => m !== item.id);
    item.mergedInto = null;
    if (!item.apart.includes(from.id)) item.apart.push(from.id);
    if (!from.apart.includes(item.id)) from.apart.push(item.id);
    // It starts again as an item of its own: not routed until a triage ranks it.
    item.round = null;
    item.decided = null;
    this.addToAccount(item);
    counted();
    return { item, from };
  }

  // ---- Routing and decisions ----------------------------------------------------------------

  /** A triage routed these items (and their evidence) in `round`; ids not held here are ignored. */
  markRouted(round: string, ids: readonly string[]): string[] {
    const done: string[] = [];
    for (const id of ids) {
      const item = this.byId.get(id);
      if (!item || item.mergedInto !== null || item.decided) continue;
      item.round = round;
      for (const pieceId of item.merged) this.byId.get(pieceId)!.round = round;
      done.push(id);
    }
    return done;
  }

  /** The PM decided `round`: its items (and their evidence) are closed with the disposition. */
  markDecided(round: string, disposition: Disposition, ids: readonly string[], now: number): string[] {
    const done: string[] = [];
    const wanted = new Set(ids);
    for (const item of this.data.items) {
      if (item.mergedInto !== null || item.decided) continue;
      if (item.round !== round && !wanted.has(item.id)) continue;
      item.round = round;
      item.decided = { disposition, round, at: now };
      for (const pieceId of item.merged) {
        const piece = this.byId.get(pieceId)!;
        piece.round = round;
        piece.decided = { disposition, round, at: now };
      }
      done.push(item.id);
    }
    return done;
  }

  // ---- Keeping it bounded ----------------------------------------------------------------

  /** The item's Notion row holds its text now: the workflow needs only the excerpt. */
  forgetText(id: string): void {
    const item = this.byId.get(id);
    if (item) delete item.text;
  }

  /**
   * Drops what is no longer needed: comparison text of items past the window, decided items a
   * window after their decision, open items without new evidence for `closeOpenAfterDays`
   * (closed as stale), keys of closed items past `rememberClosedDays`, old month counts.
   * Returns the ids closed as stale.
   */
  sweep(now: number): { stale: string[]; evicted: number } {
    const window = this.rules.windowDays * DAY_MS;
    const staleAfter = this.rules.closeOpenAfterDays * DAY_MS;
    const stale: string[] = [];
    const leaving = new Set<InsightItem>();
    for (const item of this.data.items) {
      if (item.similar !== null && now - item.at > window && now - item.receivedAt > window)
        item.similar = null;
      if (item.mergedInto !== null) continue;
      const pieces = [item, ...item.merged.map((id) => this.byId.get(id)!).filter(Boolean)];
      const newest = Math.max(...pieces.map((p) => Math.max(p.at, p.receivedAt)));
      const decidedLongAgo = item.decided !== null && now - item.decided.at > window;
      // Items waiting for tags wait for Product Ops, however long: they are never dropped.
      const forgotten =
        item.decided === null &&
        item.round === null &&
        missingTags(item.tags).length === 0 &&
        now - newest > staleAfter;
      if (decidedLongAgo || forgotten) {
        if (forgotten) stale.push(item.id);
        for (const piece of pieces) leaving.add(piece);
      }
    }
    // Text not yet in Notion stays, whatever its age: it is the only copy.
    for (const item of leaving) if (item.text !== undefined) leaving.delete(item);
    if (leaving.size > 0) {
      this.data.items = this.data.items.filter((item) => !leaving.has(item));
      for (const item of leaving) {
        this.byId.delete(item.id);
        this.byKey.delete(item.key);
        this.removeFromAccount(item);
        const closed: ClosedKey = [item.key, item.id, now];
        this.data.closed.push(closed);
        this.closedByKey.set(item.key, closed);
      }
    }
    const forget = this.rules.rememberClosedDays * DAY_MS;
    if (this.data.closed.length > 0 && now - this.data.closed[0]![2] > forget) {
      this.data.closed = this.data.closed.filter((c) => {
        const keep = now - c[2] <= forget;
        if (!keep) this.closedByKey.delete(c[0]);
        return keep;
      });
    }
    const months = recentMonths(localDateOf(now, this.rules.timezone).slice(0, 7), TALLY_MONTHS);
    this.data.tallies = this.data.tallies.filter((t) => months.has(t.month));
    return { stale, evicted: leaving.size };
  }

  // ---- Month counts ----------------------------------------------------------------------

  private monthOf(item: InsightItem): string {
    return localDateOf(item.receivedAt, this.rules.timezone).slice(0, 7);
  }

  private tallyKey(item: InsightItem): { area: string; theme: string; high: boolean; first: boolean } | null {
    const { area, theme } = this.primaryOf(item).tags;
    if (area === null || theme === null) return null;
    return { area, theme, high: item.tags.severity === 'high', first: item.mergedInto === null };
  }

  private tallyRow(item: InsightItem, area: string, theme: string): MonthTally {
    const month = this.monthOf(item);
    let row = this.data.tallies.find((t) => t.month === month && t.area === area && t.theme === theme);
    if (!row) {
      row = { month, area, theme, items: 0, evidence: 0, high: 0, accounts: [], newest: 0 };
      this.data.tallies.push(row);
    }
    return row;
  }

  private tally(item: InsightItem, sign: 1 | -1, key: ReturnType<Backlog['tallyKey']>): void {
    if (!key) return;
    const row = this.tallyRow(item, key.area, key.theme);
    row.evidence = Math.max(0, row.evidence + sign);
    if (key.first) row.items = Math.max(0, row.items + sign);
    if (key.high) row.high = Math.max(0, row.high + sign);
    const account = normaliseAccount(item.account);
    if (sign > 0) {
      if (!row.accounts.includes(account)) row.accounts.push(account);
      row.newest = Math.max(row.newest, item.at);
    } else if (
      !this.data.items.some(
        (other) =>
          other !== item &&
          normaliseAccount(other.account) === account &&
          this.monthOf(other) === row.month &&
          this.primaryOf(other).tags.area === key.area &&
          this.primaryOf(other).tags.theme === key.theme,
      )
    ) {
      row.accounts = row.accounts.filter((a) => a !== account);
    }
  }

  /** The item and, for a first item, its merged evidence. */
  private family(item: InsightItem): InsightItem[] {
    return item.mergedInto === null
      ? [item, ...item.merged.map((id) => this.byId.get(id)!).filter(Boolean)]
      : [item];
  }

  /**
   * Remembers where `items` are counted now; the function it returns moves the counts of those
   * whose area, theme, severity or standing (first item or evidence) changed since.
   */
  private counting(items: InsightItem[]): () => void {
    const before = items.map((item) => [item, this.tallyKey(item)] as const);
    return () => {
      for (const [item, was] of before) {
        const now = this.tallyKey(item);
        const same =
          was?.area === now?.area &&
          was?.theme === now?.theme &&
          was?.high === now?.high &&
          was?.first === now?.first;
        if (same) continue;
        this.tally(item, -1, was);
        this.tally(item, +1, now);
      }
    };
  }

  // ---- Views -------------------------------------------------------------------------------

  /** Open, fully tagged first items: what a triage ranks. */
  rankable(): RankableItem[] {
    const out: RankableItem[] = [];
    for (const item of this.data.items) {
      if (item.mergedInto !== null || item.decided !== null) continue;
      if (missingTags(item.tags).length > 0) continue;
      const pieces = this.family(item);
      out.push({
        id: item.id,
        area: item.tags.area!,
        theme: item.tags.theme!,
        account: normaliseAccount(item.account),
        severity: pieces.reduce<Severity | null>((s, p) => higherSeverity(s, p.tags.severity), null)!,
        evidence: pieces.length,
        newest: Math.max(...pieces.map((p) => p.at)),
        round: item.round,
      });
    }
    return out;
  }

  /** Open first items that still miss a taxonomy field. */
  needingTags(): ItemView[] {
    return this.data.items
      .filter((i) => i.mergedInto === null && i.decided === null && missingTags(i.tags).length > 0)
      .map((i) => this.view(i));
  }

  /** The month's counts, the open High items received by its end, open items per area. */
  monthFigures(month: string): {
    tallies: MonthTally[];
    high: EscalatedItem[];
    open: { area: string; items: number; routed: number }[];
    needsTagging: number;
  } {
    const high: EscalatedItem[] = [];
    const open = new Map<string, { area: string; items: number; routed: number }>();
    let needsTagging = 0;
    for (const item of this.data.items) {
      if (item.mergedInto !== null || item.decided !== null) continue;
      const pieces = this.family(item);
      const severity = pieces.reduce<Severity | null>((s, p) => higherSeverity(s, p.tags.severity), null);
      if (missingTags(item.tags).length > 0) needsTagging++;
      if (item.tags.area) {
        const row = open.get(item.tags.area) ?? { area: item.tags.area, items: 0, routed: 0 };
        row.items++;
        if (item.round) row.routed++;
        open.set(item.tags.area, row);
      }
      if (severity === 'high' && this.monthOf(item) <= month)
        high.push({
          id: item.id,
          area: item.tags.area,
          theme: item.tags.theme,
          account: item.account,
          severity,
          excerpt: item.excerpt,
          link: item.link,
          at: Math.max(...pieces.map((p) => p.at)),
          round: item.round,
        });
    }
    return {
      tallies: this.data.tallies
        .filter((t) => t.month === month)
        .map((t) => ({ ...t, accounts: [...t.accounts] })),
      high,
      open: [...open.values()],
      needsTagging,
    };
  }

  evidenceView(item: InsightItem): EvidenceView {
    return {
      id: item.id,
      source: item.source,
      externalId: item.externalId,
      account: item.account,
      segment: item.tags.segment,
      severity: item.tags.severity,
      evidenceType: item.tags.evidenceType,
      excerpt: item.excerpt,
      link: item.link,
      at: item.at,
      pageId: item.pageId,
    };
  }

  view(item: InsightItem): ItemView {
    return {
      ...this.evidenceView(item),
      key: item.key,
      theme: item.tags.theme,
      area: item.tags.area,
      status: statusOf(item),
      needsTagging: missingTags(item.tags),
      problems: [...item.problems],
      via: item.via,
      by: item.by,
      receivedAt: item.receivedAt,
      taggedBy: item.taggedBy ? { ...item.taggedBy } : null,
      mergedInto: item.mergedInto,
      merged: item.merged
        .map((id) => this.byId.get(id))
        .filter((p): p is InsightItem => p !== undefined)
        .map((p) => this.evidenceView(p)),
      round: item.round,
      decided: item.decided ? { ...item.decided } : null,
      repeats: item.repeats,
    };
  }
}

function problemPrefix(field: string): string {
  return field === 'evidenceType' ? 'evidence type ' : `${field} `;
}

/** The month and the `count - 1` before it, YYYY-MM. */
export function recentMonths(month: string, count: number): Set<string> {
  const out = new Set<string>();
  let [year, m] = month.split('-').map(Number) as [number, number];
  for (let i = 0; i < count; i++) {
    out.add(`${String(year).padStart(4, '0')}-${String(m).padStart(2, '0')}`);
    m--;
    if (m === 0) {
      m = 12;
      year--;
    }
  }
  return out;
}
