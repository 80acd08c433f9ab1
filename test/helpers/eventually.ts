import type { QueryDefinition, WorkflowHandle } from '@temporalio/client';

/** Waits for asynchronous work (a webhook's workflow, a push) to show its result. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `gave up waiting for ${what}${lastError instanceof Error ? ` (last error: ${lastError.message})` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Reads until the answer satisfies `predicate` (a workflow, a command's output: work done
 * asynchronously); the error on giving up shows the last answer.
 */
export async function readUntil<T>(
  read: () => Promise<T>,
  predicate: (answer: T) => boolean,
  what: string,
  { attempts = 200, intervalMs = 50 }: { attempts?: number; intervalMs?: number } = {},
): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await read();
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}; last answer: ${JSON.stringify(last, null, 2)}`);
}

/** Asks a workflow `query` until its answer satisfies `predicate`. */
export function queryUntil<T>(
  handle: WorkflowHandle,
  query: QueryDefinition<T>,
  predicate: (answer: T) => boolean,
  what: string,
  options: { attempts?: number; intervalMs?: number } = {},
): Promise<T> {
  return readUntil(() => handle.query(query), predicate, what, options);
}

/**
 * Polls `probe` until it answers something other than undefined. Unlike `eventually`, an error
 * (a failed expectation inside the probe) fails at once rather than being tried again.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { attempts = 100, intervalMs = 200 }: { attempts?: number; intervalMs?: number } = {},
): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}
