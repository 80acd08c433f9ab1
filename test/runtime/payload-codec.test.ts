/**
 * The payload codec (runtime/payload-codec.ts): what it encrypts comes back whole, what is
 * altered or sealed with an unknown key is refused, keys rotate, payloads written without it
 * pass through, and a workflow run with it leaves no plaintext in the server's history.
 */
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AesGcmPayloadCodec,
  dataConverterFromEnv,
  ENCRYPTED_ENCODING,
  parsePayloadKey,
  PAYLOAD_KEY_ENV,
  PAYLOAD_OLD_KEYS_ENV,
  payloadCodecFromEnv,
  PayloadKeyError,
} from '../../runtime/payload-codec';
import { connectTemporal } from '../../runtime/temporal';
import { createWorkers, runWorkers } from '../../workers/index';
import { delivered, type observedDelivery } from '../fixtures/observed-workflows';
import { loadExampleConfig } from '../helpers/config';
import { NO_RATE_LIMITS } from '../helpers/stack';
import { createTimeSkippingEnv, uniqueId } from '../helpers/temporal';

const FIXTURE = fileURLToPath(new URL('../fixtures/observed-workflows.ts', import.meta.url));
const newKey = () => randomBytes(32).toString('base64');
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const NAME = 'Maya Lindqvist';
const plain = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const codecFor = (env: NodeJS.ProcessEnv) => payloadCodecFromEnv(env)!;

describe('the payload codec', () => {
  it('is off unless a key is set', () => {
    expect(payloadCodecFromEnv({})).toBeUndefined();
    expect(dataConverterFromEnv({ [PAYLOAD_KEY_ENV]: '  ' })).toBeUndefined();
    expect(dataConverterFromEnv({ [PAYLOAD_KEY_ENV]: newKey() })?.payloadCodecs).toHaveLength(1);
  });

  it('encrypts every payload and gives it back whole', async () => {
    const codec = codecFor({ [PAYLOAD_KEY_ENV]: newKey() });
    const originals = [plain({ person: NAME, from: '2027-03-01' }), plain(null), plain('mail body for Maya')];
    const sealed = await codec.encode(originals);
    for (const payload of sealed) {
      expect(text(payload.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(Buffer.from(payload.data!).includes(Buffer.from('Maya'))).toBe(false);
      expect(JSON.stringify(payload)).not.toContain('json/plain');
    }
    expect(await codec.decode(sealed)).toEqual(originals);
    // A fresh nonce every time: the same value never looks the same twice.
    const [again] = await codec.encode([originals[0]!]);
    expect(Buffer.from(again!.data!).equals(Buffer.from(sealed[0]!.data!))).toBe(false);
  });

  it('refuses a payload that was altered', async () => {
    const codec = codecFor({ [PAYLOAD_KEY_ENV]: newKey() });
    const [sealed] = await codec.encode([plain({ person: NAME })]);
    for (const at of [0, 20, sealed!.data!.length - 1]) {
      const data = new Uint8Array(sealed!.data!);
      data[at]! ^= 0x01;
      await expect(codec.decode([{ ...sealed!, data }])).rejects.toThrow(
        /fails authentication: it was altered/,
      );
    }
    // Relabelling the payload as another key's does not get it through either.
    const other = parsePayloadKey(newKey(), PAYLOAD_KEY_ENV);
    const relabelled = {
      ...sealed!,
      metadata: { ...sealed!.metadata, 'encryption-key-id': new TextEncoder().encode(other.id) },
    };
    await expect(new AesGcmPayloadCodec(other).decode([relabelled])).rejects.toThrow(/fails authentication/);
  });

  it('refuses a payload sealed with a key it does not hold', async () => {
    const [sealed] = await codecFor({ [PAYLOAD_KEY_ENV]: newKey() }).encode([plain(NAME)]);
    await expect(codecFor({ [PAYLOAD_KEY_ENV]: newKey() }).decode([sealed!])).rejects.toThrow(
      new RegExp(
        `encrypted with key [0-9a-f]{16}, which neither ${PAYLOAD_KEY_ENV} nor ${PAYLOAD_OLD_KEYS_ENV} holds`,
      ),
    );
  });

  it('rotates: the old key decodes what it sealed, the new one seals what is new', async () => {
    const oldKey = newKey();
    const currentKey = newKey();
    const [beforeRotation] = await codecFor({ [PAYLOAD_KEY_ENV]: oldKey }).encode([plain(NAME)]);
    const rotated = codecFor({ [PAYLOAD_KEY_ENV]: currentKey, [PAYLOAD_OLD_KEYS_ENV]: oldKey });
    expect(await rotated.decode([beforeRotation!])).toEqual([plain(NAME)]);
    const [afterRotation] = await rotated.encode([plain(NAME)]);
    expect(text(afterRotation!.metadata!['encryption-key-id'])).toBe(parsePayloadKey(currentKey, 'k').id);
    await expect(codecFor({ [PAYLOAD_KEY_ENV]: oldKey }).decode([afterRotation!])).rejects.toThrow(
      PayloadKeyError,
    );
    // Old keys alone: nothing new is encrypted, what was stays readable (switching it off).
    const decodeOnly = codecFor({ [PAYLOAD_OLD_KEYS_ENV]: `${oldKey}, ${currentKey}` });
    expect(decodeOnly.encryptingKeyId).toBeUndefined();
    expect(rotated.encryptingKeyId).toBe(parsePayloadKey(currentKey, 'k').id);
    expect(await decodeOnly.encode([plain(NAME)])).toEqual([plain(NAME)]);
    expect(await decodeOnly.decode([beforeRotation!, afterRotation!])).toEqual([plain(NAME), plain(NAME)]);
  });

  it('passes payloads written without it through unchanged', async () => {
    const codec = codecFor({ [PAYLOAD_KEY_ENV]: newKey() });
    const written = [
      plain({ person: NAME }),
      plain(undefined),
      { metadata: {}, data: new Uint8Array([1, 2]) },
    ];
    expect(await codec.decode(written)).toEqual(written);
  });

  it('refuses a bad key naming the variable', () => {
    expect(() => payloadCodecFromEnv({ [PAYLOAD_KEY_ENV]: 'not a key!' })).toThrow(
      `${PAYLOAD_KEY_ENV} must be 32 random bytes in base64 (openssl rand -base64 32): it is not base64`,
    );
    expect(() => payloadCodecFromEnv({ [PAYLOAD_KEY_ENV]: randomBytes(16).toString('base64') })).toThrow(
      `${PAYLOAD_KEY_ENV} must be 32 random bytes in base64 (openssl rand -base64 32): it decodes to 16 bytes`,
    );
    expect(() =>
      payloadCodecFromEnv({ [PAYLOAD_KEY_ENV]: newKey(), [PAYLOAD_OLD_KEYS_ENV]: `${newKey()},short` }),
    ).toThrow(`${PAYLOAD_OLD_KEYS_ENV} (key 2) must be 32 random bytes`);
  });
});

describe('a workflow run with the codec', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  }, 120_000);
  afterAll(async () => {
    await env?.teardown();
  });

  it('leaves no plaintext name in the history the server keeps', async () => {
    const processEnv = { [PAYLOAD_KEY_ENV]: newKey() };
    const taskQueue = uniqueId('encrypted');
    const workers = await createWorkers({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowsPath: FIXTURE,
      activities: {
        jira: { lookUpIssue: async (key: string) => `Dear ${key}, your leave from 2027-03-01 is approved` },
      },
      rateLimits: NO_RATE_LIMITS,
      dataConverter: dataConverterFromEnv(processEnv)!,
      overrides: { shutdownGraceTime: '1 second' },
    });
    const temporal = {
      ...loadExampleConfig().temporal,
      address: env.address,
      namespace: env.namespace ?? 'default',
    };
    const session = await connectTemporal(temporal, { env: processEnv });
    const running = runWorkers(workers);
    try {
      const handle = await session.client.workflow.start<typeof observedDelivery>('observedDelivery', {
        taskQueue,
        workflowId: uniqueId('sealed'),
        args: [taskQueue],
        memo: { requester: NAME },
      });
      await handle.signal(delivered, { deliveryId: 'delivery-1', key: NAME });
      // The client decodes what it reads back.
      expect(await handle.result()).toBe(`Dear ${NAME}, your leave from 2027-03-01 is approved`);
      expect((await handle.describe()).memo).toEqual({ requester: NAME });

      const history = await handle.fetchHistory();
      const raw: string[] = [];
      const encodings = new Set<string>();
      const walk = (value: unknown): void => {
        if (value instanceof Uint8Array) raw.push(Buffer.from(value).toString('latin1'));
        else if (Array.isArray(value)) value.forEach(walk);
        else if (value !== null && typeof value === 'object') {
          const payload = value as Payload;
          if (payload.metadata?.encoding instanceof Uint8Array)
            encodings.add(text(payload.metadata.encoding));
          Object.values(value).forEach(walk);
        } else if (typeof value === 'string') raw.push(value);
      };
      walk(history);
      const everything = raw.join('\n');
      expect(everything.length).toBeGreaterThan(0);
      for (const secret of [
        'Maya',
        'Lindqvist',
        '2027-03-01',
        'your leave',
        Buffer.from(NAME).toString('base64'),
      ])
        expect(everything).not.toContain(secret);
      expect([...encodings]).toEqual([ENCRYPTED_ENCODING]);

      // Without the key, the same history cannot be read.
      const keyless = await connectTemporal(temporal, { env: {} });
      try {
        const sealedResult = keyless.client.workflow.getHandle(handle.workflowId).result();
        await expect(sealedResult).rejects.toThrow();
      } finally {
        await keyless.close();
      }
    } finally {
      workers.forEach((w) => w.shutdown());
      await running;
      await session.close();
    }
  }, 240_000);
});
