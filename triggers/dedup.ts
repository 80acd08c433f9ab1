/**
 * Deliveries this process has already handed to Temporal, so that a vendor's retry is answered
 * at once. Only an optimisation: instances of a function do not share it and it forgets after a
 * restart. What guarantees a single effect is the workflow, which ignores delivery ids it has
 * applied (and, for Notion, a workflow id that is the event id).
 */
export class RecentDeliveries {
  private readonly seen = new Map<string, Record<string, unknown>>();

  constructor(private readonly capacity = 10_000) {}

  /** The answer given the first time, if this delivery was handled already. */
  get(deliveryId: string): Record<string, unknown> | undefined {
    return this.seen.get(deliveryId);
  }

  remember(deliveryId: string, answer: Record<string, unknown>): void {
    this.seen.delete(deliveryId);
    this.seen.set(deliveryId, answer);
    if (this.seen.size > this.capacity) {
      // A Map iterates in insertion order: the first key is the oldest.
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  get size(): number {
    return this.seen.size;
  }
}
