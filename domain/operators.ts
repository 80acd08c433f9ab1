/**
 * Who is behind a command from the command line: an operator of the configuration (`operators:`),
 * proven by an Ed25519 signature over the command, never a name typed after `--by`.
 *
 * The CLI signs the update's canonical payload (the workflow id, the update's name, the command,
 * when it was issued and a nonce) with the operator's private key; the workflow verifies the
 * signature with the public key the configuration lists, checks that the command is fresh by its
 * own clock, and remembers recent nonces so that a captured command cannot be played again.
 * `--by` is only "on behalf of", allowed where the operator's grant covers what the person would
 * confirm.
 *
 * Pure and deterministic (the curve arithmetic is @noble/ed25519 over @noble/hashes, plain
 * JavaScript), so workflow code verifies here inside the sandbox, and the CLI signs with the same
 * bytes.
 */
import { z } from 'zod';
import { ed } from './signature-curve';

/**
 * What an operator may do for someone else. Acting as oneself needs no grant beyond holding the
 * part (being the buddy, the manager, the PM owner, the support or sales lead).
 *
 * - `product-ops`: the commands that run a release (publish, move, retier, cancel, released), and
 *   tagging or unmerging insights on behalf of someone else;
 * - `pm`: a go/no-go on behalf of the PM owner, and an insight theme's disposition on behalf of
 *   the product area's PM;
 * - `head-of-product`: an insight theme's disposition on behalf of the Head of Product;
 * - `support`, `sales`: a readiness confirmation on behalf of a lead;
 * - `buddy`, `manager`: a leave confirmation on behalf of the covering buddy or the manager;
 *   `manager` also covers a renewal decision or snooze on behalf of the subscription owner's manager;
 * - `requester`: moving or cancelling leave on behalf of the person on leave;
 * - `subscription-owner`: a renewal decision or snooze on behalf of the subscription's owner.
 */
export const OPERATOR_CAPACITIES = [
  'product-ops',
  'pm',
  'head-of-product',
  'support',
  'sales',
  'buddy',
  'manager',
  'requester',
  'subscription-owner',
] as const;
export type OperatorCapacity = (typeof OPERATOR_CAPACITIES)[number];

/** The grant every operator has unless the configuration says otherwise. */
export const DEFAULT_CAPACITIES: readonly OperatorCapacity[] = ['product-ops'];

const PUBLIC_KEY_PREFIX = 'ed25519:';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A configured operator as workflows carry it. */
export interface OperatorGrant {
  /** A person id of the configuration. */
  id: string;
  /** `ed25519:<base64url of the 32-byte public key>`; absent for an OS-user operator. */
  publicKey?: string;
  /** An OS account name: an unsigned claim, for a machine one person uses (see README). */
  osUser?: string;
  actsFor: OperatorCapacity[];
}

/** The operators a workflow knows, and when it read them (workflow time, ms). */
export interface OperatorRegistry {
  operators: OperatorGrant[];
  loadedAt: number;
}

/**
 * The operator id prodops' worker signs its own calls as (contracts/node/worker-key.ts). A
 * workflow that takes the worker's calls verifies them against the worker's key alone, never
 * the configured operators, so a person who had this id would gain nothing by it.
 */
export const WORKER_OPERATOR_ID = 'prodops-worker';

/** How long a workflow trusts the operators it read before reading them again. */
export const REGISTRY_FRESH_MS = 60 * 60 * 1000;

/** A signed command is accepted this long after it was issued, by the workflow's clock. */
export const MAX_COMMAND_AGE_MS = 5 * 60 * 1000;
/** Clock skew tolerated between the operator's machine and the workflow. */
export const MAX_COMMAND_SKEW_MS = 2 * 60 * 1000;
/** Nonces remembered; each lives as long as its command could still be accepted. */
export const NONCES_KEPT = 500;

/** The proof a signed command carries, beside its arguments (`auth`). */
export interface OperatorAuth {
  operator: string;
  method: 'ed25519' | 'os-user';
  /** When the command was signed, ms since the epoch. */
  issuedAt: number;
  /** 16 random bytes, base64url: a command is accepted once. */
  nonce: string;
  /** 64 bytes, base64url, for `ed25519`. */
  signature?: string;
  /** The OS account the CLI ran as, for `os-user`. */
  osUser?: string;
}

export const OperatorAuthSchema = z.strictObject({
  operator: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be an operator id'),
  method: z.enum(['ed25519', 'os-user'], { error: 'must be ed25519 or os-user' }),
  issuedAt: z
    .number({ error: 'must be milliseconds since the epoch' })
    .int('must be milliseconds since the epoch')
    .positive('must be milliseconds since the epoch')
    .max(8_640_000_000_000_000, 'is not a time'),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'must be 16 bytes, base64url'),
  signature: z
    .string()
    .regex(/^[A-Za-z0-9_-]{86}$/, 'must be an Ed25519 signature, base64url')
    .optional(),
  osUser: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be an account name')
    .optional(),
});

/** One operator as the configuration file lists it. */
export const OperatorConfig = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a person id'),
    publicKey: z
      .string()
      .refine(
        isPublicKey,
        'must be an Ed25519 public key written ed25519:<base64url>, as `prodops operator keygen` prints it',
      )
      .optional(),
    osUser: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be an OS account name')
      .optional(),
    actsFor: z
      .array(z.enum(OPERATOR_CAPACITIES, { error: `must be one of ${OPERATOR_CAPACITIES.join(', ')}` }))
      .default([...DEFAULT_CAPACITIES]),
  })
  .refine((o) => (o.publicKey === undefined) !== (o.osUser === undefined), {
    message: 'must name exactly one of publicKey (signed commands) or osUser (an unsigned claim)',
  });
export type OperatorConfig = z.infer<typeof OperatorConfig>;

export function isPublicKey(value: string): boolean {
  if (!value.startsWith(PUBLIC_KEY_PREFIX)) return false;
  const body = value.slice(PUBLIC_KEY_PREFIX.length);
  return BASE64URL.test(body) && decodeBase64url(body)?.length === 32;
}

// ---- Bytes -----------------------------------------------------------------------------

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function encodeBase64url(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      out += ALPHABET[(value >>> (bits - 6)) & 63];
      bits -= 6;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (6 - bits)) & 63];
  return out;
}

export function decodeBase64url(text: string): Uint8Array | null {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return null;
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    value = (value << 6) | ALPHABET.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  return Uint8Array.from(out);
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * JSON with object keys sorted at every depth and no whitespace, so the CLI and the workflow
 * serialise a command to the same bytes. Undefined properties are left out, as JSON does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** What a signature covers: where the command goes, the command, and when it was made. */
export interface SignedScope {
  workflowId: string;
  update: string;
  /** The command's arguments without `auth`. */
  args: unknown;
}

/** The scope of a command: where it goes and its arguments without `auth`. */
export function commandScope(workflowId: string, update: string, command: object): SignedScope {
  const { auth: _auth, ...args } = command as { auth?: unknown };
  return { workflowId, update, args };
}

export function signedBytes(scope: SignedScope, auth: Omit<OperatorAuth, 'signature'>): Uint8Array {
  return utf8(
    `prodops-operator-command-v1\n${canonicalJson({
      workflowId: scope.workflowId,
      update: scope.update,
      args: scope.args,
      operator: auth.operator,
      method: auth.method,
      issuedAt: auth.issuedAt,
      nonce: auth.nonce,
    })}`,
  );
}

/** A new key pair: the private key (the 32-byte seed) and the public key, both as configured. */
export function generateOperatorKey(seed: Uint8Array): { privateKey: string; publicKey: string } {
  if (seed.length !== 32) throw new Error('an Ed25519 private key is 32 bytes');
  return {
    privateKey: `${PUBLIC_KEY_PREFIX}${encodeBase64url(seed)}`,
    publicKey: `${PUBLIC_KEY_PREFIX}${encodeBase64url(ed.getPublicKey(seed))}`,
  };
}

/** The private key's 32 bytes, from `ed25519:<base64url>` (or the bare base64url). */
export function parsePrivateKey(text: string): Uint8Array | null {
  const body = text.trim().replace(/^ed25519:/, '');
  const bytes = decodeBase64url(body);
  return bytes && bytes.length === 32 ? bytes : null;
}

export function publicKeyOf(privateKey: Uint8Array): string {
  return `${PUBLIC_KEY_PREFIX}${encodeBase64url(ed.getPublicKey(privateKey))}`;
}

/** Signs a command for a workflow's update (the CLI's side). */
export function signCommand(
  scope: SignedScope,
  operator: string,
  privateKey: Uint8Array,
  issuedAt: number,
  nonce: Uint8Array,
): OperatorAuth {
  const unsigned = { operator, method: 'ed25519' as const, issuedAt, nonce: encodeBase64url(nonce) };
  const signature = ed.sign(signedBytes(scope, unsigned), privateKey);
  return { ...unsigned, signature: encodeBase64url(signature) };
}

/** An unsigned OS-user claim (the CLI's side, for an operator configured with `osUser`). */
export function claimCommand(
  operator: string,
  osUser: string,
  issuedAt: number,
  nonce: Uint8Array,
): OperatorAuth {
  return { operator, method: 'os-user', issuedAt, nonce: encodeBase64url(nonce), osUser };
}

// ---- The workflow's side ----------------------------------------------------------------

export interface SeenNonce {
  nonce: string;
  at: number;
}

/** Structural and freshness checks that need no key: the cheap part, run in a validator. */
export function checkFreshness(auth: OperatorAuth, now: number, seen: readonly SeenNonce[]): string | null {
  if (auth.issuedAt < now - MAX_COMMAND_AGE_MS)
    return `the command was signed ${Math.round((now - auth.issuedAt) / 1000)} s ago: sign it again (commands are accepted for ${MAX_COMMAND_AGE_MS / 60_000} minutes)`;
  if (auth.issuedAt > now + MAX_COMMAND_SKEW_MS)
    return "the command is dated in the future: check the clock of the operator's machine";
  if (seen.some((n) => n.nonce === auth.nonce)) return 'the command was already received once: sign it again';
  return null;
}

/** Forgets nonces whose commands can no longer be accepted, then remembers this one. */
export function rememberNonce(seen: SeenNonce[], nonce: string, now: number): void {
  const cutoff = now - MAX_COMMAND_AGE_MS - MAX_COMMAND_SKEW_MS;
  for (let i = seen.length - 1; i >= 0; i--) if (seen[i]!.at < cutoff) seen.splice(i, 1);
  seen.push({ nonce, at: now });
  if (seen.length > NONCES_KEPT) seen.splice(0, seen.length - NONCES_KEPT);
}

export type OperatorCheck = { operator: OperatorGrant } | { refused: string };

/** Verifies who signed a command against the registry: the operator, or why not. */
export function verifyOperator(
  registry: readonly OperatorGrant[],
  auth: OperatorAuth,
  scope: SignedScope,
): OperatorCheck {
  const operator = registry.find((o) => o.id === auth.operator);
  if (!operator) return { refused: `${auth.operator} is not an operator of the configuration (operators:)` };
  if (auth.method === 'os-user') {
    if (operator.osUser === undefined)
      return {
        refused: `${operator.id} signs commands with a key: an OS-user claim is not accepted for them`,
      };
    if (auth.osUser !== operator.osUser)
      return {
        refused: `${operator.id} is configured for OS user ${operator.osUser}, not ${auth.osUser ?? 'none'}`,
      };
    return { operator };
  }
  if (operator.publicKey === undefined)
    return { refused: `${operator.id} has no public key in the configuration` };
  const key = decodeBase64url(operator.publicKey.slice(PUBLIC_KEY_PREFIX.length));
  const signature = auth.signature === undefined ? null : decodeBase64url(auth.signature);
  if (!key || !signature || signature.length !== 64)
    return { refused: `the command carries no valid signature of ${operator.id}` };
  let valid: boolean;
  try {
    valid = ed.verify(signature, signedBytes(scope, auth), key);
  } catch {
    // A key or signature that is not a point on the curve: not a valid signature either.
    valid = false;
  }
  return valid
    ? { operator }
    : {
        refused: `the signature does not match ${operator.id}'s key for this command on ${scope.workflowId}`,
      };
}

/**
 * Whether the operator may act in `capacity` for `personId`: always for themselves (the workflow
 * has checked that they hold the part), for anyone else only where their grant says so.
 */
export function mayActFor(
  operator: OperatorGrant,
  personId: string,
  capacity: OperatorCapacity,
): string | null {
  if (operator.id === personId) return null;
  if (operator.actsFor.includes(capacity)) return null;
  return `operator ${operator.id} may not act for ${personId} as ${capacity}: their grant covers ${operator.actsFor.length > 0 ? operator.actsFor.join(', ') : 'nothing beyond themselves'} (operators[].actsFor)`;
}

/** "confirmed by ben via command (operator priya)": how history and status name who did it. */
export function describeActor(by: string, via: string, operator: string | undefined): string {
  return `${by} via ${via}${operator && operator !== by ? ` (operator ${operator})` : ''}`;
}

/** The registry a workflow carries, from the configured operators. */
export function operatorGrants(operators: readonly OperatorConfig[]): OperatorGrant[] {
  return operators.map((o) => ({
    id: o.id,
    ...(o.publicKey !== undefined ? { publicKey: o.publicKey } : {}),
    ...(o.osUser !== undefined ? { osUser: o.osUser } : {}),
    actsFor: [...o.actsFor],
  }));
}
