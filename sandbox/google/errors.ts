/** Google's error body (`{ error: { code, message, errors: [...], status } }`), shared by Calendar and Gmail. */
import { VendorError, isRecord } from '../http';

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  410: 'FAILED_PRECONDITION',
  412: 'FAILED_PRECONDITION',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const DEFAULT_REASONS: Record<number, string> = {
  400: 'badRequest',
  401: 'authError',
  403: 'forbidden',
  404: 'notFound',
  409: 'duplicate',
  410: 'deleted',
  413: 'uploadTooLarge',
  429: 'rateLimitExceeded',
  500: 'backendError',
  503: 'backendError',
};

export interface GoogleErrorDetail {
  domain: string;
  reason: string;
  message: string;
  location?: string;
  locationType?: string;
}

export interface GoogleErrorBody {
  error: { code: number; message: string; errors: GoogleErrorDetail[]; status: string };
}

export function googleErrorBody(
  status: number,
  message: string,
  reason?: string,
  extra: Partial<GoogleErrorDetail> = {},
): GoogleErrorBody {
  const detail: GoogleErrorDetail = {
    domain:
      status === 429 || reason === 'rateLimitExceeded' || reason === 'userRateLimitExceeded'
        ? 'usageLimits'
        : 'global',
    reason: reason ?? DEFAULT_REASONS[status] ?? (status >= 500 ? 'backendError' : 'badRequest'),
    message,
    ...extra,
  };
  return { error: { code: status, message, errors: [detail], status: STATUS_NAMES[status] ?? 'UNKNOWN' } };
}

export function fail(
  status: number,
  message: string,
  reason?: string,
  extra?: Partial<GoogleErrorDetail>,
  headers?: Record<string, string>,
): never {
  throw new VendorError(status, googleErrorBody(status, message, reason, extra), headers);
}

/** 400 with reason `invalid`, as Calendar answers a value it cannot take. */
export function invalid(message: string): never {
  fail(400, message, 'invalid');
}

export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) invalid(`Invalid value for ${what}: expected an object`);
  return value;
}

/** Runs a person's action for tests and demos; a refusal becomes a plain Error naming Google's message. */
export function asSimulation<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof VendorError) {
      const body = error.body as GoogleErrorBody;
      throw new Error(`google sandbox: HTTP ${error.status} ${body.error?.message ?? ''}`.trim(), {
        cause: error,
      });
    }
    throw error;
  }
}
