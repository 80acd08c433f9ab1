/**
 * The stack's configuration, read once and checked before any resource is declared: a typo in a
 * region or a missing secret stops `pulumi up` with the key's name instead of a half-built stack.
 *
 *   gcp:project, gcp:region                    where everything goes (the provider reads them too)
 *   prodops:imageTag                           the worker image's tag in the stack's registry
 *   prodops:temporalAddress, temporalNamespace, temporalTaskQueue
 *   prodops:configFile, functionsDir, publicUrl, jiraEmail, sizing, vpcNetwork/vpcSubnetwork
 *   prodops:workerMetricsSidecar               the Managed Prometheus sidecar's image, or off
 *   one key per secret (SECRETS below): `pulumi config set --secret <key> VALUE`, or
 *   `pulumi config set <key>Secret <secret id>[:<version>]` for an entry made in Secret Manager
 */
import * as pulumi from '@pulumi/pulumi';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOrgConfig, type OrgConfig } from '../../domain/config';
import { PAYLOAD_KEY_ENV, PAYLOAD_OLD_KEYS_ENV, payloadCodecFromEnv } from '../../runtime/payload-codec';
import { WORKER_SECRET_ENV, workerSecretFromEnv } from '../../workers/integrations';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const FUNCTION_NAMES = ['jira', 'notion', 'calendar', 'insights'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** What a secret is, where it goes in the environment, and the Secret Manager entry made for it. */
export interface SecretSpec {
  /** The environment variable the consumer reads. */
  env: string;
  /** The Secret Manager secret id the stack creates when the value is in the stack config. */
  secretId: string;
  what: string;
  /** Mounted as a file whose path goes in `env`, instead of the value itself. */
  file?: string;
  /** Checks a value from the stack config; the message never quotes it. */
  check?: (value: string) => string | undefined;
}

const MIN_TRIGGER_SECRET = 16;

/** The trigger functions accept one secret, or two while one is being replaced, each ≥ 16 characters. */
function triggerSecretList(value: string): string | undefined {
  const secrets = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (secrets.length === 0) return 'is empty';
  if (secrets.length > 2)
    return `lists ${secrets.length} secrets: at most 2 (the current one and the one being replaced)`;
  const short = secrets.find((s) => s.length < MIN_TRIGGER_SECRET);
  if (short !== undefined)
    return `each secret must be at least ${MIN_TRIGGER_SECRET} characters (one has ${short.length})`;
  return undefined;
}

function serviceAccountKey(value: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return 'is not JSON: give the service-account key file itself';
  }
  const key = parsed as Record<string, unknown> | null;
  if (!key || key.type !== 'service_account')
    return 'is not a service-account key ("type": "service_account")';
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string')
    return 'has no client_email or private_key';
  return undefined;
}

/**
 * The check of the code that reads the variable at start-up (the worker, the payload codec), as
 * a stack setting's check: its message without the variable's name; never quotes the value.
 */
function checkedAsReadBy(env: string, read: (vars: NodeJS.ProcessEnv) => unknown, otherwise: string) {
  return (value: string): string | undefined => {
    try {
      read({ [env]: value });
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message.replace(/^\S+ /, '') : otherwise;
    }
  };
}

/** The worker's own check of its secret. */
const workerSecret = checkedAsReadBy(WORKER_SECRET_ENV, workerSecretFromEnv, 'is not a worker secret');

/** The codec's own check of a key (or a comma-separated list of earlier keys). */
const payloadKeys = (env: string) => checkedAsReadBy(env, payloadCodecFromEnv, 'is not a payload key');

export const SECRETS = {
  temporalApiKey: {
    env: 'TEMPORAL_API_KEY',
    secretId: 'prodops-temporal-api-key',
    what: 'the Temporal Cloud API key (leave unset for a self-hosted frontend without authentication)',
  },
  jiraWebhookSecrets: {
    env: 'PRODOPS_JIRA_WEBHOOK_SECRETS',
    secretId: 'prodops-jira-webhook-secrets',
    what: 'the Jira admin webhook secret(s), comma-separated',
    check: triggerSecretList,
  },
  notionVerificationTokens: {
    env: 'PRODOPS_NOTION_VERIFICATION_TOKENS',
    secretId: 'prodops-notion-verification-tokens',
    what: "the Notion subscription's verification token(s); unset until Notion's first request",
    check: triggerSecretList,
  },
  calendarChannelSecret: {
    env: 'PRODOPS_CALENDAR_CHANNEL_SECRET',
    secretId: 'prodops-calendar-channel-secret',
    what: 'signs and checks Google Calendar channel tokens (the worker and the calendar function)',
    check: triggerSecretList,
  },
  insightsSecrets: {
    env: 'PRODOPS_INSIGHTS_SECRETS',
    secretId: 'prodops-insights-secrets',
    what: 'the secret(s) tools sign POST /insights with, comma-separated',
    check: triggerSecretList,
  },
  workerSecret: {
    env: WORKER_SECRET_ENV,
    secretId: 'prodops-worker-secret',
    what: "the worker's own key: invite ids nobody can predict, signed team coordinator calls, the weekly hand-over (openssl rand -base64 32)",
    check: workerSecret,
  },
  jiraApiToken: {
    env: 'PRODOPS_JIRA_API_TOKEN',
    secretId: 'prodops-jira-api-token',
    what: 'the Jira Cloud API token of `jiraEmail`',
  },
  notionToken: {
    env: 'PRODOPS_NOTION_TOKEN',
    secretId: 'prodops-notion-token',
    what: 'the Notion internal integration token',
  },
  googleServiceAccountKey: {
    env: 'PRODOPS_GOOGLE_SERVICE_ACCOUNT',
    secretId: 'prodops-google-service-account',
    what: 'the key (JSON) of the service account with domain-wide delegation',
    file: '/secrets/google/service-account.json',
    check: serviceAccountKey,
  },
  payloadKey: {
    env: PAYLOAD_KEY_ENV,
    secretId: 'prodops-payload-key',
    what: 'the key payloads are encrypted with in Temporal (openssl rand -base64 32); unset: plain payloads',
    check: payloadKeys(PAYLOAD_KEY_ENV),
  },
  payloadOldKeys: {
    env: PAYLOAD_OLD_KEYS_ENV,
    secretId: 'prodops-payload-old-keys',
    what: 'earlier payload keys, comma-separated, still read while a rotation drains',
    check: payloadKeys(PAYLOAD_OLD_KEYS_ENV),
  },
} as const satisfies Record<string, SecretSpec>;

export type SecretName = keyof typeof SECRETS;

/**
 * The payload keys go to every component that opens a Temporal client: the functions encode the
 * signals they send, the worker encodes and decodes everything, and the setup job's executions
 * (`calendar watch --all`) signal too. One of them without the key would write plain payloads,
 * or fail to read encrypted ones.
 */
const PAYLOAD_KEYS = ['payloadKey', 'payloadOldKeys'] as const;

/** Which component reads which secret: each gets read access to these and nothing else. */
export const SECRET_READERS = {
  jira: ['jiraWebhookSecrets', 'temporalApiKey', ...PAYLOAD_KEYS],
  notion: ['notionVerificationTokens', 'temporalApiKey', ...PAYLOAD_KEYS],
  calendar: ['calendarChannelSecret', 'temporalApiKey', ...PAYLOAD_KEYS],
  insights: ['insightsSecrets', 'temporalApiKey', ...PAYLOAD_KEYS],
  worker: [
    'temporalApiKey',
    'jiraApiToken',
    'notionToken',
    'googleServiceAccountKey',
    'calendarChannelSecret',
    'workerSecret',
    ...PAYLOAD_KEYS,
  ],
  setup: ['temporalApiKey', ...PAYLOAD_KEYS],
} as const satisfies Record<string, readonly SecretName[]>;

export type Component = keyof typeof SECRET_READERS;

/** Without these the component cannot do its job; the others may stay unset. */
const REQUIRED: Record<Component, readonly SecretName[]> = {
  jira: ['jiraWebhookSecrets'],
  notion: [],
  calendar: ['calendarChannelSecret'],
  // Until it is set the insights function answers 401 to every delivery: nothing is lost that
  // a sender would not retry, and a deployment without webhook-sending tools needs none.
  insights: [],
  worker: ['jiraApiToken', 'notionToken', 'googleServiceAccountKey', 'calendarChannelSecret', 'workerSecret'],
  setup: [],
};

export type SecretSource =
  | { kind: 'value'; value: pulumi.Output<string> }
  | { kind: 'existing'; project: string; secretId: string; version: string };

export interface StackSettings {
  project: string;
  region: string;
  /** Unset on the first deployment, before the image is pushed: no worker and no setup job yet. */
  imageTag?: string;
  temporal: { address: string; namespace: string; taskQueue: string };
  org: { config: OrgConfig; text: string; path: string; sha256: string };
  functionsDir: string;
  /** `PRODOPS_PUBLIC_URL`: calendar channels post to `<publicUrl>/calendar`. */
  publicUrl: string;
  functions: {
    maxInstances: number;
    minInstances: number;
    concurrency: number;
    cpu: string;
    memory: string;
    timeoutSeconds: number;
  };
  worker: {
    instances: number;
    cpu: string;
    memory: string;
    /** The image of the sidecar that sends the worker's metrics to Managed Prometheus; null: none. */
    metricsSidecar: string | null;
  };
  jiraEmail?: string;
  vpc?: { network: string; subnetwork: string };
  secrets: Partial<Record<SecretName, SecretSource>>;
}

export class StackConfigError extends Error {
  constructor(problems: string[]) {
    super(
      `the stack configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}`,
    );
    this.name = 'StackConfigError';
  }
}

const REGION = /^[a-z]+-[a-z]+[0-9]+$/;
const PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const IMAGE_TAG = /^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64})$/;
/**
 * Google's Managed Service for Prometheus sidecar for Cloud Run: it scrapes localhost:8080/metrics
 * (its default configuration) and writes to Cloud Monitoring. Pinned, like every image.
 */
export const METRICS_SIDECAR_IMAGE =
  'us-docker.pkg.dev/cloud-ops-agents-artifacts/cloud-run-gmp-sidecar/cloud-run-gmp-sidecar:1.2.0';
const IMAGE_REFERENCE = /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9_.-]{1,128}|@sha256:[a-f0-9]{64})$/;
const MEMORY = /^[0-9]+(Mi|Gi)$/;
const CPU = /^(1|2|4|6|8)$/;
const EXISTING_SECRET =
  /^(?:projects\/([a-z0-9-]+)\/secrets\/)?([A-Za-z0-9_-]{1,255})(?::(latest|[1-9][0-9]*))?$/;

/** A Pulumi config namespace, or a plain map in the same shape (for tests and tools). */
export interface ConfigReader {
  get(key: string): string | undefined;
  /** Whether the stack keeps the key encrypted; undefined when that cannot be told. */
  isSecret?(key: string): boolean | undefined;
}

/** The stack's `<namespace>:` keys, as the Pulumi CLI hands them to the program. */
export function stackConfig(namespace: string): ConfigReader {
  const config = new pulumi.Config(namespace);
  return {
    get: (key) => config.get(key),
    isSecret: (key) => {
      const listed = process.env.PULUMI_CONFIG_SECRET_KEYS;
      if (!listed) return undefined;
      try {
        return (JSON.parse(listed) as string[]).includes(`${namespace}:${key}`);
      } catch {
        return undefined;
      }
    },
  };
}

export function readSettings(
  prodops: ConfigReader = stackConfig('prodops'),
  gcpConfig: ConfigReader = stackConfig('gcp'),
): StackSettings {
  const problems: string[] = [];
  const need = (value: string | undefined, key: string, pattern: RegExp, what: string): string => {
    if (value === undefined || value.trim() === '') problems.push(`${key} is not set: ${what}`);
    else if (!pattern.test(value.trim())) problems.push(`${key} "${value}" is not ${what}`);
    return value?.trim() ?? '';
  };
  const integer = (key: string, fallback: number, min: number, max: number, why = ''): number => {
    const raw = prodops.get(key);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      problems.push(`prodops:${key} must be a whole number from ${min} to ${max}, got "${raw}"${why}`);
    return n;
  };
  const pattern = (key: string, fallback: string, re: RegExp, what: string): string => {
    const raw = prodops.get(key);
    if (raw === undefined) return fallback;
    if (!re.test(raw)) problems.push(`prodops:${key} must be ${what}, got "${raw}"`);
    return raw;
  };

  const project = need(gcpConfig.get('project'), 'gcp:project', PROJECT, 'a Google Cloud project id');
  const region = need(
    gcpConfig.get('region'),
    'gcp:region',
    REGION,
    'a Google Cloud region such as europe-west2',
  );
  const imageTagRaw = prodops.get('imageTag')?.trim();
  if (imageTagRaw !== undefined && !IMAGE_TAG.test(imageTagRaw))
    problems.push(`prodops:imageTag "${imageTagRaw}" is not an image tag (or sha256:<digest>)`);

  const org = readOrgConfig(prodops.get('configFile'), problems);
  const address = need(
    prodops.get('temporalAddress'),
    'prodops:temporalAddress',
    /^[A-Za-z0-9.-]+:[0-9]{1,5}$/,
    'host:port of the Temporal frontend (for Temporal Cloud, <namespace>.<account>.tmprl.cloud:7233)',
  );
  const namespace = need(
    prodops.get('temporalNamespace'),
    'prodops:temporalNamespace',
    /^[A-Za-z0-9._-]{1,255}$/,
    'a Temporal namespace',
  );
  const taskQueue = prodops.get('temporalTaskQueue') ?? org?.config.temporal.taskQueue ?? 'prodops';

  const functionsDirRaw = prodops.get('functionsDir') ?? 'dist/functions';
  const functionsDir = isAbsolute(functionsDirRaw) ? functionsDirRaw : resolve(REPO_ROOT, functionsDirRaw);

  const publicUrlRaw = prodops.get('publicUrl');
  const publicUrl =
    publicUrlRaw === undefined
      ? `https://${region}-${project}.cloudfunctions.net`
      : publicUrlRaw.replace(/\/+$/, '');
  if (publicUrlRaw !== undefined && !/^https:\/\/[^/\s]+(\/[^\s]*)?$/.test(publicUrl))
    problems.push(
      `prodops:publicUrl must be an https URL (Google posts calendar notifications only over HTTPS), got "${publicUrlRaw}"`,
    );

  const functions = {
    maxInstances: integer('functionMaxInstances', 10, 1, 1000),
    minInstances: integer('functionMinInstances', 0, 0, 100),
    concurrency: integer('functionConcurrency', 40, 1, 1000),
    cpu: pattern('functionCpu', '1', CPU, 'a whole number of vCPUs (1, 2, 4, 6 or 8)'),
    memory: pattern('functionMemory', '512Mi', MEMORY, 'a size such as 512Mi or 1Gi'),
    timeoutSeconds: integer('functionTimeoutSeconds', 30, 1, 3600),
  };
  if (functions.minInstances > functions.maxInstances)
    problems.push('prodops:functionMinInstances is above prodops:functionMaxInstances');
  const worker = {
    instances: integer(
      'workerInstances',
      1,
      1,
      100,
      ': the worker runs every timer and activity, so at least one instance always runs',
    ),
    cpu: pattern('workerCpu', '1', CPU, 'a whole number of vCPUs (1, 2, 4, 6 or 8)'),
    memory: pattern('workerMemory', '1Gi', MEMORY, 'a size such as 1Gi'),
    metricsSidecar: metricsSidecar(prodops.get('workerMetricsSidecar'), problems),
  };

  const vpcNetwork = prodops.get('vpcNetwork');
  const vpcSubnetwork = prodops.get('vpcSubnetwork');
  if ((vpcNetwork === undefined) !== (vpcSubnetwork === undefined))
    problems.push(
      'prodops:vpcNetwork and prodops:vpcSubnetwork go together (Direct VPC egress to a private Temporal frontend)',
    );

  const jiraEmail = prodops.get('jiraEmail');
  if (jiraEmail !== undefined && !/^[^\s@]+@[^\s@]+$/.test(jiraEmail))
    problems.push(`prodops:jiraEmail "${jiraEmail}" is not an email address`);

  const secrets: Partial<Record<SecretName, SecretSource>> = {};
  for (const name of Object.keys(SECRETS) as SecretName[]) {
    const source = readSecret(prodops, name, project, problems);
    if (source) secrets[name] = source;
  }

  const deployed: Component[] = [...FUNCTION_NAMES];
  if (imageTagRaw !== undefined) {
    deployed.push('worker', 'setup');
    if (jiraEmail === undefined)
      problems.push('prodops:jiraEmail is not set: the Jira account the worker acts as');
    if (org && !org.config.integrations.jira.baseUrl)
      problems.push(`${org.path}: integrations.jira.baseUrl is not set: the worker calls Jira there`);
  }
  const missing = new Map<SecretName, Component[]>();
  for (const component of deployed)
    for (const name of REQUIRED[component])
      if (!secrets[name] && !problems.some((p) => p.startsWith(`prodops:${name}`)))
        missing.set(name, [...(missing.get(name) ?? []), component]);
  for (const [name, components] of missing)
    problems.push(
      `prodops:${name} is not set (${SECRETS[name].what}), needed by the ${components.join(' and the ')}: pulumi config set --secret ${name} VALUE, or pulumi config set ${name}Secret <Secret Manager secret id>`,
    );
  if (problems.length > 0 || !org) throw new StackConfigError(problems);

  return {
    project,
    region,
    ...(imageTagRaw !== undefined ? { imageTag: imageTagRaw } : {}),
    temporal: { address, namespace, taskQueue },
    org,
    functionsDir,
    publicUrl,
    functions,
    worker,
    ...(jiraEmail !== undefined ? { jiraEmail } : {}),
    ...(vpcNetwork !== undefined && vpcSubnetwork !== undefined
      ? { vpc: { network: vpcNetwork, subnetwork: vpcSubnetwork } }
      : {}),
    secrets,
  };
}

function readOrgConfig(configured: string | undefined, problems: string[]): StackSettings['org'] | undefined {
  const path = resolve(REPO_ROOT, configured ?? 'prodops.config.yaml');
  if (!existsSync(path)) {
    problems.push(
      `prodops:configFile: no configuration at ${path} (copy prodops.config.example.yaml, or set prodops:configFile)`,
    );
    return undefined;
  }
  const text = readFileSync(path, 'utf8');
  try {
    const config = parseOrgConfig(text, path);
    return { config, text, path, sha256: createHash('sha256').update(text).digest('hex') };
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

function readSecret(
  prodops: ConfigReader,
  name: SecretName,
  project: string,
  problems: string[],
): SecretSource | undefined {
  const spec: SecretSpec = SECRETS[name];
  const value = prodops.get(name)?.trim();
  const existing = prodops.get(`${name}Secret`)?.trim();
  if (value !== undefined && existing !== undefined) {
    problems.push(`prodops:${name} and prodops:${name}Secret are both set: keep one`);
    return undefined;
  }
  if (value !== undefined) {
    // The message names the key, never the value.
    const problem = value === '' ? 'is empty' : spec.check?.(value);
    if (problem) problems.push(`prodops:${name} ${problem}`);
    if (prodops.isSecret?.(name) === false)
      problems.push(
        `prodops:${name} is in the stack file in plain text: pulumi config set --secret ${name} VALUE (or rm it and use ${name}Secret)`,
      );
    return problem ? undefined : { kind: 'value', value: pulumi.secret(value) };
  }
  if (existing !== undefined) {
    const match = EXISTING_SECRET.exec(existing);
    if (!match) {
      problems.push(
        `prodops:${name}Secret "${existing}" is not a secret id: <id>, <id>:<version> or projects/<project>/secrets/<id>[:<version>]`,
      );
      return undefined;
    }
    return {
      kind: 'existing',
      project: match[1] ?? project,
      secretId: match[2]!,
      version: match[3] ?? 'latest',
    };
  }
  return undefined;
}

function metricsSidecar(given: string | undefined, problems: string[]): string | null {
  const value = given?.trim();
  if (value === undefined || value === '') return METRICS_SIDECAR_IMAGE;
  if (value === 'off') return null;
  if (!IMAGE_REFERENCE.test(value)) {
    problems.push(
      `prodops:workerMetricsSidecar "${value}" is not an image pinned by tag or digest (or off, for no metrics sidecar)`,
    );
    return null;
  }
  return value;
}
