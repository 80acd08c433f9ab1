/**
 * What an activity borrows from the worker that runs it: the Temporal client the worker
 * connected with, and the activity's logger. Both exist only inside an activity; outside one
 * (a script, a test calling the factory directly) the client must be passed in and warnings go
 * to the console.
 */
import { Context, getClient } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';

/**
 * The client given, or the worker's. Without either, a non-retryable failure that names what
 * needed it: retrying would not make a client appear.
 */
export function temporalClient(given: Client | undefined, what: string): Client {
  if (given) return given;
  try {
    return getClient();
  } catch {
    throw ApplicationFailure.nonRetryable(
      `${what} needs a Temporal client: run it as an activity of a worker, or pass one`,
      'MissingTemporalClient',
    );
  }
}

/** Logs a warning through the running activity's logger, or the console outside one. */
export function warnFromActivity(message: string): void {
  try {
    Context.current().log.warn(message);
  } catch {
    console.warn(message);
  }
}
