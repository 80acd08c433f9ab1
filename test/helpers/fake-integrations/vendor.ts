/**
 * What keeps a fake as strict as the real activity without copying its rules: each fake first
 * hands its input to the real activity, built over a client that stops the request at the
 * vendor's door. Input the real activity refuses is refused with its own non-retryable failure;
 * input it would send on passes, and the fake answers it from memory. Refusals that only the
 * vendor can make (no such issue, page or event) are classified here as activities/errors.ts
 * classifies the vendor's answer.
 */
import { ApplicationFailure } from '@temporalio/common';
import { classifyError, ErrorTypes, type OperationContext } from '../../../activities/errors';

const AT_THE_DOOR = 'prodops fake: the request would reach the vendor here';

class RequestAtTheDoor extends Error {
  constructor() {
    super(AT_THE_DOOR);
  }
}

/**
 * A client of any vendor library: every property is another such client, and calling one
 * throws instead of sending anything. Typed as whatever the real activity wants for its client.
 */
export function clientAtTheDoor<T>(): T {
  const target = function client() {};
  const proxy: unknown = new Proxy(target, {
    // Never a thenable: an activity may await what it got without sending anything.
    get: (_, property) => (property === 'then' ? undefined : proxy),
    apply: () => {
      throw new RequestAtTheDoor();
    },
  });
  return proxy as T;
}

const reachedTheDoor = (error: unknown): boolean =>
  error instanceof ApplicationFailure &&
  error.type === ErrorTypes.unknown &&
  error.message.endsWith(AT_THE_DOOR);

/**
 * Runs the real activity over a client at the door. Returns undefined when it would have called
 * the vendor (the input is acceptable), or what it answered without calling the vendor at all;
 * throws what it refused.
 */
export async function asTheRealActivity<T>(real: () => Promise<T>): Promise<T | undefined> {
  try {
    return await real();
  } catch (error) {
    if (reachedTheDoor(error)) return undefined;
    throw error;
  }
}

/** The failure the real activity throws when the vendor answers `status` (and Retry-After). */
export function vendorAnswered(
  ctx: OperationContext,
  status: number,
  message: string,
  retryAfterSeconds?: number,
): ApplicationFailure {
  const headers = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
  return classifyError(Object.assign(new Error(message), { status, headers }), ctx);
}
