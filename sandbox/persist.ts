/**
 * The sandbox's state on disk, so that a stopped and restarted stack continues where it was:
 * running workflows still find the pages, issues, events and mail they made. One SQLite file
 * under the data directory (Node's built-in `node:sqlite`, no native build), one row per vendor
 * holding its store's collections in V8's serialization (Maps, Sets and Dates survive as they
 * are), written after every request that may change something.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { deserialize, serialize } from 'node:v8';

/** A store whose state can be written out and read back. */
export interface PersistentStore {
  exportState(): Record<string, unknown>;
  importState(state: Record<string, unknown>): void;
}

/** The file the sandbox keeps its state in, under a data directory. */
export const SANDBOX_STATE_FILE = 'sandbox.sqlite';

export class SandboxStateFile {
  private readonly db: DatabaseSync;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS vendor_state (vendor TEXT PRIMARY KEY, state BLOB NOT NULL, saved_at INTEGER NOT NULL)',
    );
  }

  /** The saved state of each vendor that has one. */
  load(): Map<string, Record<string, unknown>> {
    const rows = this.db.prepare('SELECT vendor, state FROM vendor_state').all() as {
      vendor: string;
      state: Uint8Array;
    }[];
    const states = new Map<string, Record<string, unknown>>();
    for (const row of rows) {
      try {
        states.set(row.vendor, deserialize(row.state) as Record<string, unknown>);
      } catch (error) {
        throw new Error(
          `the sandbox state in ${this.path} (${row.vendor}) cannot be read: ${(error as Error).message}; run \`prodops sandbox reset\` to start clean`,
          { cause: error },
        );
      }
    }
    return states;
  }

  /** Writes every vendor's state in one transaction. */
  save(states: Record<string, Record<string, unknown>>): void {
    const upsert = this.db.prepare(
      'INSERT INTO vendor_state (vendor, state, saved_at) VALUES (?, ?, ?) ON CONFLICT(vendor) DO UPDATE SET state = excluded.state, saved_at = excluded.saved_at',
    );
    const at = Date.now();
    this.db.exec('BEGIN');
    try {
      for (const [vendor, state] of Object.entries(states)) upsert.run(vendor, serialize(state), at);
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Forgets every vendor's state: the next start is seeded afresh. */
  clear(): void {
    this.db.exec('DELETE FROM vendor_state');
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Puts a saved collection's contents into the store's own (which other parts of the store hold
 * on to, so it is refilled rather than replaced).
 */
export function refill(current: Map<unknown, unknown> | Set<unknown> | unknown[], saved: unknown): void {
  if (current instanceof Map) {
    if (!(saved instanceof Map)) throw new Error('saved sandbox state: expected a Map');
    current.clear();
    for (const [key, value] of saved) current.set(key, value);
  } else if (current instanceof Set) {
    if (!(saved instanceof Set)) throw new Error('saved sandbox state: expected a Set');
    current.clear();
    for (const value of saved) current.add(value);
  } else {
    if (!Array.isArray(saved)) throw new Error('saved sandbox state: expected an array');
    current.length = 0;
    current.push(...(saved as unknown[]));
  }
}

/** A saved counter, checked. */
export function savedNumber(state: Record<string, unknown>, name: string): number {
  const value = state[name];
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new Error(`saved sandbox state: ${name} is not a number`);
  return value;
}
