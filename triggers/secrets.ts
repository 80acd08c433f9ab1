/**
 * Trigger secrets come from the environment only. Each variable takes a comma-separated list so
 * that a new secret can be added beside the old one while the vendor is switched over.
 *
 * For a laptop (`npm start`) with none set, development secrets are generated once and kept in
 * the data directory, so that `prodops simulate` signs with the same ones and a restart keeps
 * them.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const TRIGGER_SECRET_ENV = {
  jira: 'PRODOPS_JIRA_WEBHOOK_SECRETS',
  notion: 'PRODOPS_NOTION_VERIFICATION_TOKENS',
  calendar: 'PRODOPS_CALENDAR_CHANNEL_SECRET',
} as const;

export type TriggerSecretKind = keyof typeof TRIGGER_SECRET_ENV;

/** Lets the Notion function take a handshake although a verification token is configured. */
export const NOTION_ACCEPT_VERIFICATION_ENV = 'PRODOPS_NOTION_ACCEPT_VERIFICATION';

export function acceptNotionVerificationFrom(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes)$/i.test(env[NOTION_ACCEPT_VERIFICATION_ENV]?.trim() ?? '');
}

export interface TriggerSecrets {
  /** Jira admin webhook secrets (X-Hub-Signature). */
  jira: string[];
  /** Notion subscription verification tokens (X-Notion-Signature). */
  notion: string[];
  /** Calendar channel secrets; the first signs new channels, all verify. */
  calendar: string[];
}

export const DEV_SECRETS_FILE = 'trigger-secrets.json';
const MIN_SECRET_LENGTH = 16;
const MAX_SECRETS = 2;

export class TriggerSecretError extends Error {}

function parseList(variable: string, value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  const secrets = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (secrets.length > MAX_SECRETS)
    throw new TriggerSecretError(
      `${variable} lists ${secrets.length} secrets: at most ${MAX_SECRETS} (the current one and the one being replaced)`,
    );
  const short = secrets.find((s) => s.length < MIN_SECRET_LENGTH);
  if (short !== undefined)
    throw new TriggerSecretError(
      `${variable}: each secret must be at least ${MIN_SECRET_LENGTH} characters (one has ${short.length})`,
    );
  return secrets;
}

export function triggerSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): TriggerSecrets {
  return {
    jira: parseList(TRIGGER_SECRET_ENV.jira, env[TRIGGER_SECRET_ENV.jira]),
    notion: parseList(TRIGGER_SECRET_ENV.notion, env[TRIGGER_SECRET_ENV.notion]),
    calendar: parseList(TRIGGER_SECRET_ENV.calendar, env[TRIGGER_SECRET_ENV.calendar]),
  };
}

/** The environment variables that carry these secrets, for handing to another component. */
export function secretsAsEnv(secrets: TriggerSecrets): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kind of Object.keys(TRIGGER_SECRET_ENV) as TriggerSecretKind[]) {
    if (secrets[kind].length > 0) out[TRIGGER_SECRET_ENV[kind]] = secrets[kind].join(',');
  }
  return out;
}

export function generateSecret(kind: TriggerSecretKind): string {
  // Notion's verification tokens start with secret_; the others are opaque.
  const value = randomBytes(24).toString('base64url');
  return kind === 'notion' ? `secret_${value}` : value;
}

function readDevFile(file: string): Partial<Record<TriggerSecretKind, string>> {
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const out: Partial<Record<TriggerSecretKind, string>> = {};
    for (const kind of Object.keys(TRIGGER_SECRET_ENV) as TriggerSecretKind[]) {
      const value = parsed[kind];
      if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) out[kind] = value;
    }
    return out;
  } catch {
    throw new TriggerSecretError(
      `${file} is not valid JSON: delete it and start again to generate new secrets`,
    );
  }
}

export interface DevSecrets {
  secrets: TriggerSecrets;
  /** The kinds generated just now (none were set or kept). */
  generated: TriggerSecretKind[];
  /** The kinds read from the development file. */
  fromFile: TriggerSecretKind[];
  file: string;
}

/**
 * The environment's secrets, and for every kind it leaves unset a development secret kept in
 * `<dataDir>/trigger-secrets.json` (created, readable by the owner only, on first use).
 */
export function loadOrCreateDevSecrets(dataDir: string, env: NodeJS.ProcessEnv = process.env): DevSecrets {
  const fromEnv = triggerSecretsFromEnv(env);
  const file = join(resolve(dataDir), DEV_SECRETS_FILE);
  const stored = readDevFile(file);
  const generated: TriggerSecretKind[] = [];
  const fromFile: TriggerSecretKind[] = [];
  const secrets: TriggerSecrets = { jira: [], notion: [], calendar: [] };
  let changed = false;
  for (const kind of Object.keys(TRIGGER_SECRET_ENV) as TriggerSecretKind[]) {
    if (fromEnv[kind].length > 0) {
      secrets[kind] = fromEnv[kind];
      continue;
    }
    let value = stored[kind];
    if (value === undefined) {
      value = generateSecret(kind);
      stored[kind] = value;
      generated.push(kind);
      changed = true;
    } else {
      fromFile.push(kind);
    }
    secrets[kind] = [value];
  }
  if (changed) {
    mkdirSync(resolve(dataDir), { recursive: true });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return { secrets, generated, fromFile, file };
}

/**
 * The secrets a client of the local stack signs with: the environment's, else the ones
 * `npm start` generated. Nothing is generated here: signing with a secret the gateway does not
 * know would only produce 401s.
 */
export function readSigningSecrets(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): TriggerSecrets & { missing: TriggerSecretKind[] } {
  const fromEnv = triggerSecretsFromEnv(env);
  const stored = readDevFile(join(resolve(dataDir), DEV_SECRETS_FILE));
  const missing: TriggerSecretKind[] = [];
  const pick = (kind: TriggerSecretKind): string[] => {
    if (fromEnv[kind].length > 0) return fromEnv[kind];
    const value = stored[kind];
    if (value === undefined) {
      missing.push(kind);
      return [];
    }
    return [value];
  };
  return { jira: pick('jira'), notion: pick('notion'), calendar: pick('calendar'), missing };
}
