/**
 * Optional encryption of what prodops puts into Temporal: workflow and activity arguments and
 * results, signals, updates, queries, memos and heartbeat details, which carry people's names,
 * dates and mail bodies. AES-256-GCM with a key from the environment, applied by every client
 * and worker as a payload codec; off unless a key is set.
 *
 *   PRODOPS_PAYLOAD_KEY   the key new payloads are encrypted with: 32 random bytes, base64
 *                         (`openssl rand -base64 32`)
 *   PRODOPS_PAYLOAD_KEYS  earlier keys, comma-separated, still accepted for decoding, so a key
 *                         can be replaced while histories written with the old one are open;
 *                         set alone, nothing new is encrypted and old payloads stay readable
 *
 * Each encrypted payload names its key by id (a hash of the key, never the key) in its metadata.
 * A payload without the encryption marker passes through as it is, so histories written before
 * the key was set keep replaying. Only node:crypto: the trigger functions load it too.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';

export const PAYLOAD_KEY_ENV = 'PRODOPS_PAYLOAD_KEY';
export const PAYLOAD_OLD_KEYS_ENV = 'PRODOPS_PAYLOAD_KEYS';
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class PayloadKeyError extends Error {}

export interface PayloadKey {
  id: string;
  key: Buffer;
}

/** A key from its base64 text; a bad one is refused naming the variable it came from. */
export function parsePayloadKey(text: string, variable: string): PayloadKey {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (key.length !== KEY_BYTES)
    throw new PayloadKeyError(
      `${variable} must be ${KEY_BYTES} random bytes in base64 (openssl rand -base64 32): ${key.length === 0 ? 'it is not base64' : `it decodes to ${key.length} bytes`}`,
    );
  return { id: payloadKeyId(key), key };
}

/** The id a key is known by in payload metadata: 16 hex digits of its SHA-256. */
export function payloadKeyId(key: Uint8Array): string {
  return createHash('sha256').update('prodops payload key\0').update(key).digest('hex').slice(0, 16);
}

const toBase64 = (bytes: Uint8Array | null | undefined): string =>
  Buffer.from(bytes ?? []).toString('base64');
const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly decryptKeys: Map<string, Buffer>;

  /** `current` encrypts (none: pass through); it and `previous` decrypt. */
  constructor(
    private readonly current: PayloadKey | undefined,
    previous: PayloadKey[] = [],
  ) {
    this.decryptKeys = new Map([...(current ? [current] : []), ...previous].map((k) => [k.id, k.key]));
  }

  /** The id of the key new payloads are sealed with; undefined when it only decodes. */
  get encryptingKeyId(): string | undefined {
    return this.current?.id;
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    const current = this.current;
    if (current === undefined) return Promise.resolve(payloads);
    return new Promise((resolve) =>
      resolve(
        payloads.map((payload) => {
          const metadata: Record<string, string> = {};
          for (const [name, value] of Object.entries(payload.metadata ?? {}))
            metadata[name] = toBase64(value);
          const plain = encoder.encode(JSON.stringify({ metadata, data: toBase64(payload.data) }));
          const iv = randomBytes(IV_BYTES);
          const cipher = createCipheriv('aes-256-gcm', current.key, iv);
          // The key id is authenticated too: a payload cannot be passed off as another key's.
          cipher.setAAD(encoder.encode(current.id));
          const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
          return {
            metadata: {
              encoding: encoder.encode(ENCRYPTED_ENCODING),
              [KEY_ID_METADATA]: encoder.encode(current.id),
            },
            data: new Uint8Array(sealed),
          };
        }),
      ),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    // A refusal rejects the promise, as the SDK expects of a codec, rather than throwing.
    return new Promise((resolve) => resolve(payloads.map((payload) => this.decodeOne(payload))));
  }

  private decodeOne(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (encoding === undefined || encoding === null || decoder.decode(encoding) !== ENCRYPTED_ENCODING)
      return payload;
    const idBytes = payload.metadata?.[KEY_ID_METADATA];
    const id = idBytes ? decoder.decode(idBytes) : '';
    const key = this.decryptKeys.get(id);
    if (key === undefined)
      throw new PayloadKeyError(
        `a payload is encrypted with key ${id || '(no id)'}, which neither ${PAYLOAD_KEY_ENV} nor ${PAYLOAD_OLD_KEYS_ENV} holds`,
      );
    const sealed = Buffer.from(payload.data ?? []);
    if (sealed.length < IV_BYTES + TAG_BYTES)
      throw new PayloadKeyError(`a payload encrypted with key ${id} is truncated`);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(encoder.encode(id));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      plain = Buffer.concat([
        decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadKeyError(`a payload encrypted with key ${id} fails authentication: it was altered`);
    }
    const inner = JSON.parse(decoder.decode(plain)) as { metadata: Record<string, string>; data: string };
    const metadata: Record<string, Uint8Array> = {};
    for (const [name, value] of Object.entries(inner.metadata)) metadata[name] = fromBase64(value);
    return { metadata, data: fromBase64(inner.data) };
  }
}

/** The codec the environment asks for, or undefined when neither variable is set (the default). */
export function payloadCodecFromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmPayloadCodec | undefined {
  const currentText = env[PAYLOAD_KEY_ENV]?.trim() ?? '';
  const previousText = env[PAYLOAD_OLD_KEYS_ENV]?.trim() ?? '';
  if (currentText === '' && previousText === '') return undefined;
  const current = currentText === '' ? undefined : parsePayloadKey(currentText, PAYLOAD_KEY_ENV);
  const previous = previousText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s, i) => parsePayloadKey(s, `${PAYLOAD_OLD_KEYS_ENV} (key ${i + 1})`));
  return new AesGcmPayloadCodec(current, previous);
}

/** The data converter of every client and worker: the default one, plus the codec when set. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = payloadCodecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
