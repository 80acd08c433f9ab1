/**
 * Deliveries this process has already handed to Temporal, so that a vendor's retry is answered
 * at once. Only an optimisation: instances of a function do not share it and it forgets after a
 * restart. What guarantees a single effect is the workflow, which ignores delivery ids it has
 * applied (and, for Notion, a workflow id that is the event id).
 */
export class RecentDeliveries {
  private readonly seen: RecentEntries<Record<string, unknown>>;

  constructor(capacity = 10_000) {
    this.seen = new RecentEntries(capacity);
  }

  /** The answer given the first time, if this delivery was handled already. */
  get(deliveryId: string): Record<string, unknown> | undefined {
    return this.seen.get(deliveryId);
  }

  remember(deliveryId: string, answer: Record<string, unknown>): void {
    this.seen.set(deliveryId, answer);
  }

  get size(): number {
    return this.seen.size;
  }
}

/**
 * Releases this process found without a tombstone in the last minute, so that a burst of Jira
 * updates to one issue asks Temporal once rather than once per delivery. Only the absence is
 * kept, and only briefly: a release that ended since still has its closed run within the
 * namespace's retention (a day at the least), which refuses a new start on its own
 * (`rejectIfClosed`); a tombstone found is asked about again every time, so that one a person
 * removes to start a release again is gone at once.
 */
export class RecentlyWithoutTombstone {
  private readonly checkedAt: RecentEntries<number>;

  constructor(
    private readonly ttlMs = 60_000,
    capacity = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.checkedAt = new RecentEntries(capacity);
  }

  has(issueKey: string): boolean {
    const at = this.checkedAt.get(issueKey);
    if (at === undefined) return false;
    if (this.now() - at < this.ttlMs) return true;
    this.checkedAt.delete(issueKey);
    return false;
  }

  remember(issueKey: string): void {
    this.checkedAt.set(issueKey, this.now());
  }
}

/** At most `capacity` entries, the least recently set forgotten first. */
class RecentEntries<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    // Set again, a key moves to the end: a Map iterates in insertion order, oldest first.
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
