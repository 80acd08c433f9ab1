/**
 * The Google Cloud stack, declared against Pulumi's mocks: no CLI, no plugins, no cloud. Each
 * scenario declares the whole stack and looks at every resource it registered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as pulumi from '@pulumi/pulumi';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  METRICS_SIDECAR_IMAGE,
  readSettings,
  SECRETS,
  StackConfigError,
  type ConfigReader,
  type StackSettings,
} from '../../infra/gcp/settings';
import {
  createStack,
  GOOGLE_SCOPES,
  NOTION_EVENT_TYPES,
  SETUP_JOB_NAME,
  WORKER_METRICS_ADDRESS,
  WORKER_POOL_NAME,
  type ProdopsStack,
} from '../../infra/gcp/stack';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROJECT = 'northwind-prodops';
const REGION = 'europe-west2';

// ---- Mocks ---------------------------------------------------------------------------------------

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
let registered: Registered[] = [];

/** What the provider would compute: the outputs the stack reads back. */
function computed(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const project = typeof inputs.project === 'string' ? inputs.project : PROJECT;
  switch (type) {
    case 'gcp:serviceaccount/account:Account': {
      const email = `${String(inputs.accountId)}@${project}.iam.gserviceaccount.com`;
      return {
        email,
        uniqueId: `1${createHash('sha256').update(email).digest('hex').replace(/\D/g, '').slice(0, 20)}`,
      };
    }
    case 'gcp:cloudfunctionsv2/function:Function':
      return {
        url: `https://${String(inputs.location)}-${project}.cloudfunctions.net/${String(inputs.name)}`,
      };
    case 'gcp:secretmanager/secret:Secret':
      return { name: `projects/${project}/secrets/${String(inputs.secretId)}` };
    case 'gcp:secretmanager/secretVersion:SecretVersion':
      return { version: '3', name: `${String(inputs.secret)}/versions/3` };
    default:
      return {};
  }
}

function resourceId(type: string, inputs: Record<string, unknown>, name: string): string {
  if (type === 'gcp:secretmanager/secret:Secret')
    return `projects/${PROJECT}/secrets/${String(inputs.secretId)}`;
  return `${name}-id`;
}

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const { type, name } = args;
        const inputs = args.inputs as Record<string, unknown>;
        registered.push({ type, name, inputs });
        return { id: resourceId(type, inputs, name), state: { ...inputs, ...computed(type, inputs) } };
      },
      call: ({ inputs }) => inputs as Record<string, unknown>,
    },
    'prodops',
    'test',
    false,
  );
});

const unwrap = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply(resolve));

/** Declares the stack and waits until every resource has been registered with the mocks. */
async function declare(settings: StackSettings): Promise<{ stack: ProdopsStack; resources: Registered[] }> {
  registered = [];
  const stack = createStack(settings);
  await Promise.all(stack.resources.map((r) => unwrap(r.urn)));
  return { stack, resources: registered };
}

const ofType = (resources: Registered[], suffix: string) => resources.filter((r) => r.type.endsWith(suffix));
const one = (resources: Registered[], suffix: string, name?: string): Registered => {
  const found = ofType(resources, suffix).filter((r) => name === undefined || r.inputs.name === name);
  expect(found, `${suffix} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
};

// ---- Stack configuration -------------------------------------------------------------------------

const SECRET_VALUES = {
  temporalApiKey: 'temporal-api-key-value-0001',
  jiraWebhookSecrets: 'jira-webhook-secret-value-0002',
  notionVerificationTokens: 'secret_notion-verification-token-0003',
  calendarChannelSecret: 'calendar-channel-secret-value-0004',
  insightsSecrets: 'insights-webhook-secret-value-0008',
  workerSecret: 'worker-secret-value-of-32-characters-0009',
  jiraApiToken: 'jira-api-token-value-0005',
  notionToken: 'ntn_notion-integration-token-0006',
  googleServiceAccountKey: JSON.stringify({
    type: 'service_account',
    client_email: 'prodops-workspace@northwind-prodops.iam.gserviceaccount.com',
    client_id: '1234567890',
    private_key:
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC-fixture-0007\n-----END PRIVATE KEY-----\n',
  }),
  // 32 bytes each, as `openssl rand -base64 32` prints them.
  payloadKey: Buffer.alloc(32, 9).toString('base64'),
  payloadOldKeys: Buffer.alloc(32, 10).toString('base64'),
};
const PAYLOAD_SECRET_IDS = ['prodops-payload-key', 'prodops-payload-old-keys'];

let scratch: string;
let configFile: string;
let functionsDir: string;

function bundles(dir: string, configText: string): void {
  const sha = createHash('sha256').update(configText).digest('hex');
  for (const name of ['jira', 'notion', 'calendar', 'insights']) {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'index.js'), `// ${name} bundle\n`);
    writeFileSync(join(dir, name, 'package.json'), '{"type":"module","main":"index.js"}\n');
    writeFileSync(join(dir, name, 'build-info.json'), JSON.stringify({ configSha256: sha }));
  }
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'prodops-gcp-'));
  configFile = join(scratch, 'prodops.config.yaml');
  const text = readFileSync(join(ROOT, 'prodops.config.example.yaml'), 'utf8').replace(
    '# baseUrl: https://northwind.atlassian.net',
    'baseUrl: https://northwind.atlassian.net',
  );
  writeFileSync(configFile, text);
  functionsDir = join(scratch, 'functions');
  bundles(functionsDir, text);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A stack configuration as `pulumi config` holds it: the secret keys set with --secret. */
function reader(values: Record<string, string | undefined>, plainText: string[] = []): ConfigReader {
  return {
    get: (key) => values[key],
    isSecret: (key) => key in SECRET_VALUES && !plainText.includes(key),
  };
}

function config(overrides: Record<string, string | undefined> = {}) {
  const prodops: Record<string, string | undefined> = {
    imageTag: 'v2027.1.0',
    temporalAddress: 'prodops.a1b2c.tmprl.cloud:7233',
    temporalNamespace: 'prodops.a1b2c',
    configFile,
    functionsDir,
    jiraEmail: 'automation@northwind.example',
    ...SECRET_VALUES,
    ...overrides,
  };
  return { prodops: reader(prodops), gcp: reader({ project: PROJECT, region: REGION }) };
}

const settingsFor = (overrides: Record<string, string | undefined> = {}) => {
  const { prodops, gcp } = config(overrides);
  return readSettings(prodops, gcp);
};

// ---- What the stack must guarantee ----------------------------------------------------------------

// Every function sends signals through a Temporal client, so each reads the payload keys too.
const FUNCTION_SECRET_IDS = {
  jira: ['prodops-jira-webhook-secrets', ...PAYLOAD_SECRET_IDS, 'prodops-temporal-api-key'],
  notion: ['prodops-notion-verification-tokens', ...PAYLOAD_SECRET_IDS, 'prodops-temporal-api-key'],
  calendar: ['prodops-calendar-channel-secret', ...PAYLOAD_SECRET_IDS, 'prodops-temporal-api-key'],
  insights: ['prodops-insights-secrets', ...PAYLOAD_SECRET_IDS, 'prodops-temporal-api-key'],
};
const SECRET_ENV_NAMES: string[] = Object.values(SECRETS).map((s) => s.env);

interface Container {
  envs?: {
    name: string;
    value?: string;
    valueSource?: { secretKeyRef?: { secret: string; version: string } };
  }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

function containersOf(resource: Registered): Container[] {
  const template = resource.inputs.template as {
    containers?: Container[];
    template?: { containers?: Container[] };
  };
  return template.containers ?? template.template?.containers ?? [];
}

/** The secret ids a service account may read, from every secret-level grant in the stack. */
function readableBy(resources: Registered[], email: string): string[] {
  return ofType(resources, 'secretmanager/secretIamMember:SecretIamMember')
    .filter((g) => g.inputs.member === `serviceAccount:${email}`)
    .map((g) => {
      expect(g.inputs.role).toBe('roles/secretmanager.secretAccessor');
      return String(g.inputs.secretId).replace(/^projects\/[^/]+\/secrets\//, '');
    })
    .sort();
}

describe('the Google Cloud stack', () => {
  let resources: Registered[];
  let stack: ProdopsStack;
  beforeAll(async () => {
    ({ stack, resources } = await declare(settingsFor()));
  });

  it('never puts a secret in a plain environment variable, nor anywhere but its secret version', () => {
    for (const resource of resources) {
      if (resource.type.endsWith('SecretVersion')) continue;
      const text = JSON.stringify(resource.inputs);
      for (const [key, value] of Object.entries(SECRET_VALUES)) {
        expect(text.includes(value), `${key} in ${resource.type} ${resource.name}`).toBe(false);
        // Nor a recognisable piece of it (the key's PEM body).
        if (key === 'googleServiceAccountKey') expect(text).not.toContain('fixture-0007');
      }
    }
    for (const fn of ofType(resources, 'cloudfunctionsv2/function:Function')) {
      const service = fn.inputs.serviceConfig as {
        environmentVariables: Record<string, string>;
        secretEnvironmentVariables: { key: string }[];
      };
      for (const name of Object.keys(service.environmentVariables))
        expect(SECRET_ENV_NAMES).not.toContain(name);
      expect(service.secretEnvironmentVariables.length).toBeGreaterThan(0);
      expect(
        (fn.inputs.buildConfig as { environmentVariables?: unknown }).environmentVariables,
      ).toBeUndefined();
    }
    const runResources = [
      ...ofType(resources, 'cloudrunv2/workerPool:WorkerPool'),
      ...ofType(resources, 'cloudrunv2/job:Job'),
    ];
    expect(runResources).toHaveLength(2);
    for (const resource of runResources)
      for (const container of containersOf(resource))
        for (const env of container.envs ?? []) {
          if (!SECRET_ENV_NAMES.includes(env.name)) continue;
          if (env.name === SECRETS.googleServiceAccountKey.env) {
            // A path into a mounted secret volume, never the key.
            expect(env.value).toBe(SECRETS.googleServiceAccountKey.file);
            expect(container.volumeMounts?.some((m) => env.value!.startsWith(`${m.mountPath}/`))).toBe(true);
          } else {
            expect(env.value, `${env.name} of ${resource.name}`).toBeUndefined();
            expect(env.valueSource?.secretKeyRef?.secret).toMatch(/^prodops-/);
          }
        }
  });

  it("gives each function its own service account, which can read only that function's secrets", () => {
    const emails = new Set<string>();
    for (const [name, expected] of Object.entries(FUNCTION_SECRET_IDS)) {
      const fn = one(resources, 'cloudfunctionsv2/function:Function', name);
      const service = fn.inputs.serviceConfig as {
        serviceAccountEmail: string;
        secretEnvironmentVariables: { secret: string; version: string; projectId: string }[];
      };
      expect(service.serviceAccountEmail).toBe(`prodops-${name}@${PROJECT}.iam.gserviceaccount.com`);
      emails.add(service.serviceAccountEmail);
      expect(readableBy(resources, service.serviceAccountEmail)).toEqual(expected);
      // It mounts exactly what it may read, at the version the stack created.
      expect(service.secretEnvironmentVariables.map((s) => s.secret).sort()).toEqual(expected);
      for (const secret of service.secretEnvironmentVariables)
        expect(secret).toMatchObject({ version: '3', projectId: PROJECT });
    }
    expect(emails.size).toBe(4);
    // No grant anywhere else: no project-wide secret access, no bindings that replace members.
    for (const grant of ofType(resources, 'projects/iAMMember:IAMMember')) {
      expect(String(grant.inputs.role)).not.toMatch(/secretmanager/);
      for (const email of emails) expect(grant.inputs.member).not.toBe(`serviceAccount:${email}`);
    }
    expect(resources.filter((r) => /IamBinding|IamPolicy|IAMBinding|IAMPolicy/.test(r.type))).toEqual([]);
  });

  it('lets the worker read its credentials and the configuration, and the setup job only what it needs', () => {
    const pool = one(resources, 'cloudrunv2/workerPool:WorkerPool');
    const workerEmail = (pool.inputs.template as { serviceAccount: string }).serviceAccount;
    expect(readableBy(resources, workerEmail)).toEqual([
      'prodops-calendar-channel-secret',
      'prodops-config',
      'prodops-google-service-account',
      'prodops-jira-api-token',
      'prodops-notion-token',
      ...PAYLOAD_SECRET_IDS,
      'prodops-temporal-api-key',
      'prodops-worker-secret',
    ]);
    // The worker's own key reaches it as a Secret Manager reference, never as a plain value.
    const envs = containersOf(pool).flatMap((c) => c.envs ?? []);
    const secret = envs.find((e) => e.name === 'PRODOPS_WORKER_SECRET');
    expect(secret?.value).toBeUndefined();
    expect(secret?.valueSource?.secretKeyRef?.secret).toBe('prodops-worker-secret');
    const job = one(resources, 'cloudrunv2/job:Job');
    const jobEmail = (job.inputs.template as { template: { serviceAccount: string } }).template
      .serviceAccount;
    expect(jobEmail).not.toBe(workerEmail);
    expect(readableBy(resources, jobEmail)).toEqual([
      'prodops-config',
      ...PAYLOAD_SECRET_IDS,
      'prodops-temporal-api-key',
    ]);
  });

  it('hands the payload keys to every Temporal client as secrets, and to no one else', () => {
    const payloadEnvs: string[] = [SECRETS.payloadKey.env, SECRETS.payloadOldKeys.env];
    expect(payloadEnvs).toEqual(['PRODOPS_PAYLOAD_KEY', 'PRODOPS_PAYLOAD_KEYS']);
    const clients = new Set<string>();
    for (const name of Object.keys(FUNCTION_SECRET_IDS)) {
      const service = one(resources, 'cloudfunctionsv2/function:Function', name).inputs.serviceConfig as {
        serviceAccountEmail: string;
        environmentVariables: Record<string, string>;
        secretEnvironmentVariables: { key: string; secret: string }[];
      };
      for (const env of payloadEnvs) expect(service.environmentVariables[env]).toBeUndefined();
      expect(
        service.secretEnvironmentVariables.filter((s) => payloadEnvs.includes(s.key)).map((s) => s.secret),
      ).toEqual(PAYLOAD_SECRET_IDS);
      clients.add(service.serviceAccountEmail);
    }
    for (const resource of [
      one(resources, 'cloudrunv2/workerPool:WorkerPool'),
      one(resources, 'cloudrunv2/job:Job'),
    ]) {
      const template = resource.inputs.template as {
        serviceAccount?: string;
        template?: { serviceAccount: string };
      };
      clients.add(template.serviceAccount ?? template.template!.serviceAccount);
      const envs = containersOf(resource).flatMap((c) => c.envs ?? []);
      for (const env of payloadEnvs) {
        const entries = envs.filter((e) => e.name === env);
        expect(entries, `${env} of ${resource.name}`).toHaveLength(1);
        expect(entries[0]!.value).toBeUndefined();
        expect(PAYLOAD_SECRET_IDS).toContain(entries[0]!.valueSource?.secretKeyRef?.secret);
      }
    }
    // Six clients (four functions, the worker, the setup job) and no other reader: not the build.
    expect(clients.size).toBe(6);
    for (const id of PAYLOAD_SECRET_IDS) {
      const readers = ofType(resources, 'secretmanager/secretIamMember:SecretIamMember')
        .filter((g) => String(g.inputs.secretId).endsWith(`/${id}`) || g.inputs.secretId === id)
        .map((g) => String(g.inputs.member).replace(/^serviceAccount:/, ''));
      expect(readers.sort(), id).toEqual([...clients].sort());
    }
  });

  it('never scales the worker to zero, and gives it no endpoint', () => {
    const pool = one(resources, 'cloudrunv2/workerPool:WorkerPool', WORKER_POOL_NAME);
    expect(pool.inputs.scaling).toEqual({ scalingMode: 'MANUAL', manualInstanceCount: 1 });
    const [container] = containersOf(pool);
    expect(container).toMatchObject({
      image: `${REGION}-docker.pkg.dev/${PROJECT}/prodops/prodops:v2027.1.0`,
      args: ['worker'],
    });
    expect(ofType(resources, 'cloudrunv2/service:Service')).toEqual([]);
    // The configuration file is mounted from Secret Manager where the worker looks for it.
    const env = Object.fromEntries((container as Container).envs!.map((e) => [e.name, e.value]));
    expect(env.PRODOPS_CONFIG).toBe('/config/prodops.config.yaml');
    expect((container as Container).volumeMounts).toContainEqual({ name: 'config', mountPath: '/config' });

    expect(() => settingsFor({ workerInstances: '0' })).toThrow(
      /prodops:workerInstances must be a whole number from 1/,
    );
    expect(settingsFor({ workerInstances: '3' }).worker.instances).toBe(3);
  });

  it("gets the worker's metrics out through the Managed Prometheus sidecar, as the worker", async () => {
    const pool = one(resources, 'cloudrunv2/workerPool:WorkerPool', WORKER_POOL_NAME);
    const [worker, sidecar, ...others] = containersOf(pool) as (Container & Record<string, unknown>)[];
    expect(others).toEqual([]);
    const env = Object.fromEntries(worker!.envs!.map((e) => [e.name, e.value]));
    expect(env.PRODOPS_METRICS_ADDRESS).toBe(WORKER_METRICS_ADDRESS);
    // The sidecar's default scrape target is port 8080 of its own instance.
    expect(WORKER_METRICS_ADDRESS.endsWith(':8080')).toBe(true);
    expect(sidecar).toMatchObject({ name: 'metrics', image: METRICS_SIDECAR_IMAGE, dependsOns: ['worker'] });
    expect(sidecar!.envs ?? []).toEqual([]);
    const workerEmail = (pool.inputs.template as { serviceAccount: string }).serviceAccount;
    const roles = (rs: Registered[]) =>
      ofType(rs, 'projects/iAMMember:IAMMember')
        .filter((g) => g.inputs.member === `serviceAccount:${workerEmail}`)
        .map((g) => g.inputs.role);
    expect(roles(resources)).toEqual(['roles/monitoring.metricWriter']);
    expect(
      ofType(resources, 'projects/service:Service').some(
        (api) => api.inputs.service === 'monitoring.googleapis.com',
      ),
    ).toBe(true);

    const { resources: without } = await declare(settingsFor({ workerMetricsSidecar: 'off' }));
    const bare = one(without, 'cloudrunv2/workerPool:WorkerPool', WORKER_POOL_NAME);
    expect(containersOf(bare)).toHaveLength(1);
    expect(containersOf(bare)[0]!.envs!.map((e) => e.name)).not.toContain('PRODOPS_METRICS_ADDRESS');
    expect(roles(without)).toEqual([]);
    expect(() => settingsFor({ workerMetricsSidecar: 'latest' })).toThrow(
      /prodops:workerMetricsSidecar "latest" is not an image pinned by tag or digest/,
    );
  });

  it('puts every resource in the configured region', () => {
    // Resources with no location of their own: APIs, identities, grants, and what lives inside a
    // regional parent (a secret's versions, a bucket's objects).
    const global = new Set([
      'gcp:projects/service:Service',
      'gcp:serviceaccount/account:Account',
      'gcp:projects/iAMMember:IAMMember',
      'gcp:secretmanager/secretIamMember:SecretIamMember',
      'gcp:secretmanager/secretVersion:SecretVersion',
      'gcp:storage/bucketObject:BucketObject',
    ]);
    const types = new Set(resources.map((r) => r.type));
    expect([...types].filter((t) => !global.has(t)).sort()).toEqual([
      'gcp:artifactregistry/repository:Repository',
      'gcp:cloudfunctionsv2/function:Function',
      'gcp:cloudrunv2/job:Job',
      'gcp:cloudrunv2/serviceIamMember:ServiceIamMember',
      'gcp:cloudrunv2/workerPool:WorkerPool',
      'gcp:secretmanager/secret:Secret',
      'gcp:storage/bucket:Bucket',
    ]);
    for (const resource of resources) {
      if (global.has(resource.type)) {
        expect(resource.inputs.location, resource.type).toBeUndefined();
        continue;
      }
      if (resource.type.endsWith('Secret')) {
        expect(resource.inputs.replication).toEqual({ userManaged: { replicas: [{ location: REGION }] } });
        continue;
      }
      expect(String(resource.inputs.location).toLowerCase(), `${resource.type} ${resource.name}`).toBe(
        REGION,
      );
    }
    // The source bucket objects belong to the regional bucket.
    const bucket = one(resources, 'storage/bucket:Bucket');
    for (const object of ofType(resources, 'storage/bucketObject:BucketObject'))
      expect(object.inputs.bucket).toBe(bucket.inputs.name);
  });

  it('runs the functions on Node 24, bounded, open to the vendors and invocable by anyone', () => {
    const node = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();
    for (const name of ['jira', 'notion', 'calendar', 'insights']) {
      const fn = one(resources, 'cloudfunctionsv2/function:Function', name);
      expect(fn.inputs.buildConfig).toMatchObject({ runtime: `nodejs${node}`, entryPoint: name });
      expect(fn.inputs.serviceConfig).toMatchObject({
        ingressSettings: 'ALLOW_ALL',
        maxInstanceCount: 10,
        maxInstanceRequestConcurrency: 40,
      });
      const invokers = ofType(resources, 'cloudrunv2/serviceIamMember:ServiceIamMember').filter(
        (m) => m.inputs.name === name,
      );
      expect(invokers.map((m) => [m.inputs.role, m.inputs.member])).toEqual([
        ['roles/run.invoker', 'allUsers'],
      ]);
      // Its source is a zip named by its content.
      const source = (fn.inputs.buildConfig as { source: { storageSource: { object: string } } }).source
        .storageSource;
      expect(source.object).toMatch(new RegExp(`^${name}/[0-9a-f]{20}\\.zip$`));
    }
    expect(
      one(resources, 'cloudfunctionsv2/function:Function', 'calendar').inputs.serviceConfig,
    ).toMatchObject({
      environmentVariables: { PRODOPS_PUBLIC_URL: `https://${REGION}-${PROJECT}.cloudfunctions.net` },
    });
  });

  it('exports the webhook URLs, the settings to paste into Jira and Notion, and the one-off commands', async () => {
    const urls = {
      jira: await unwrap(stack.outputs.webhookUrls.jira),
      notion: await unwrap(stack.outputs.webhookUrls.notion),
      calendar: await unwrap(stack.outputs.webhookUrls.calendar),
      insights: await unwrap(stack.outputs.webhookUrls.insights),
    };
    const base = `https://${REGION}-${PROJECT}.cloudfunctions.net`;
    expect(urls).toEqual({
      jira: `${base}/jira`,
      notion: `${base}/notion`,
      calendar: `${base}/calendar`,
      insights: `${base}/insights`,
    });
    expect(stack.outputs.publicUrl).toBe(base);
    expect(await unwrap(stack.outputs.calendarNotificationUrl)).toBe(urls.calendar);
    const jira = await unwrap(stack.outputs.jiraWebhook);
    expect(jira).toMatchObject({
      url: urls.jira,
      events: ['jira:issue_created', 'jira:issue_updated', 'jira:issue_deleted'],
      // The release project, and every team's project: onboarding tasks live there.
      jqlFilter: 'project in (REL, LEGAL, FIN, SEC, IT)',
    });
    expect(jira.secret).toContain(`projects/${PROJECT}/secrets/prodops-jira-webhook-secrets`);
    const notion = await unwrap(stack.outputs.notionSubscription);
    expect(notion).toMatchObject({ url: urls.notion, eventTypes: [...NOTION_EVENT_TYPES] });
    const workspace = await unwrap(stack.outputs.workspaceServiceAccount);
    expect(workspace).toMatchObject({
      email: `prodops-workspace@${PROJECT}.iam.gserviceaccount.com`,
      clientId: expect.stringMatching(/^\d+$/) as unknown,
      scopes: GOOGLE_SCOPES.join(','),
    });
    expect(stack.outputs.temporalSetup).toBe(
      `gcloud run jobs execute ${SETUP_JOB_NAME} --project ${PROJECT} --region ${REGION} --wait`,
    );
    expect(stack.outputs.calendarWatch).toBe(`${stack.outputs.temporalSetup} --args=calendar,watch,--all`);
    const job = one(resources, 'cloudrunv2/job:Job');
    const jobEnv = Object.fromEntries(containersOf(job)[0]!.envs!.map((e) => [e.name, e.value]));
    expect(jobEnv.PRODOPS_PUBLIC_URL).toBe(stack.outputs.publicUrl);
  });
});

describe('secrets made in Secret Manager beforehand', () => {
  it('are granted and referenced by id, at latest or the version given', async () => {
    const { resources } = await declare(
      settingsFor({
        jiraWebhookSecrets: undefined,
        jiraWebhookSecretsSecret: 'jira-hook:4',
        googleServiceAccountKey: undefined,
        googleServiceAccountKeySecret: 'projects/northwind-security/secrets/workspace-key',
        temporalApiKey: undefined,
        notionVerificationTokens: undefined,
        // Plain payloads: no component is handed a payload key.
        payloadKey: undefined,
        payloadOldKeys: undefined,
      }),
    );
    const created = ofType(resources, 'secretmanager/secret:Secret').map((s) => s.inputs.secretId);
    expect(created).not.toContain('prodops-jira-webhook-secrets');
    expect(created).not.toContain('prodops-google-service-account');
    const jira = one(resources, 'cloudfunctionsv2/function:Function', 'jira');
    // No Temporal API key (a self-hosted frontend): only the webhook secret, by its own id.
    expect(
      (jira.inputs.serviceConfig as { secretEnvironmentVariables: unknown[] }).secretEnvironmentVariables,
    ).toEqual([
      { key: 'PRODOPS_JIRA_WEBHOOK_SECRETS', projectId: PROJECT, secret: 'jira-hook', version: '4' },
    ]);
    expect(readableBy(resources, `prodops-jira@${PROJECT}.iam.gserviceaccount.com`)).toEqual(['jira-hook']);
    // The notion function runs without tokens until Notion's first request names one.
    const notion = one(resources, 'cloudfunctionsv2/function:Function', 'notion');
    expect(
      (notion.inputs.serviceConfig as { secretEnvironmentVariables: unknown[] }).secretEnvironmentVariables,
    ).toEqual([]);
    const pool = one(resources, 'cloudrunv2/workerPool:WorkerPool');
    const volumes = (
      pool.inputs.template as {
        volumes: { name: string; secret: { secret: string; items: { version: string }[] } }[];
      }
    ).volumes;
    expect(volumes.find((v) => v.name === 'google')?.secret).toMatchObject({
      secret: 'workspace-key',
      items: [{ version: 'latest' }],
    });
    const keyGrant = ofType(resources, 'SecretIamMember').find((g) => g.inputs.secretId === 'workspace-key');
    expect(keyGrant?.inputs).toMatchObject({
      project: 'northwind-security',
      member: `serviceAccount:prodops-worker@${PROJECT}.iam.gserviceaccount.com`,
    });
  });
});

describe('a first deployment, before the image is pushed', () => {
  it('makes the functions and the registry, and says what the worker waits for', async () => {
    const { stack, resources } = await declare(
      settingsFor({
        imageTag: undefined,
        jiraApiToken: undefined,
        notionToken: undefined,
        googleServiceAccountKey: undefined,
        jiraEmail: undefined,
      }),
    );
    expect(ofType(resources, 'cloudfunctionsv2/function:Function')).toHaveLength(4);
    expect(ofType(resources, 'artifactregistry/repository:Repository')).toHaveLength(1);
    expect(ofType(resources, 'cloudrunv2/workerPool:WorkerPool')).toEqual([]);
    expect(ofType(resources, 'cloudrunv2/job:Job')).toEqual([]);
    expect(stack.outputs.worker).toMatch(
      /^not deployed: push the image to europe-west2-docker\.pkg\.dev\/northwind-prodops\/prodops\/prodops:<tag>/,
    );
    const workspace = await unwrap(stack.outputs.workspaceServiceAccount);
    expect(workspace.keyCommand).toContain(
      `--iam-account prodops-workspace@${PROJECT}.iam.gserviceaccount.com`,
    );
  });
});

describe('the stack configuration', () => {
  it('names every missing or contradictory setting at once', () => {
    const error = (() => {
      try {
        settingsFor({
          jiraWebhookSecrets: undefined,
          calendarChannelSecret: undefined,
          notionToken: 'x',
          notionTokenSecret: 'elsewhere',
          temporalAddress: undefined,
          functionMaxInstances: 'many',
        });
      } catch (e) {
        return e as Error;
      }
      throw new Error('no error');
    })();
    expect(error).toBeInstanceOf(StackConfigError);
    expect(error.message).toContain('prodops:temporalAddress is not set');
    expect(error.message).toContain('prodops:jiraWebhookSecrets is not set');
    expect(error.message).toMatch(
      /prodops:calendarChannelSecret is not set .* needed by the calendar and the worker/,
    );
    expect(error.message).toContain('prodops:notionToken and prodops:notionTokenSecret are both set');
    expect(error.message).toContain('prodops:functionMaxInstances must be a whole number');
  });

  it('refuses a region or an image tag that cannot be right', () => {
    const { prodops } = config();
    expect(() => readSettings(prodops, reader({ project: PROJECT, region: 'London' }))).toThrow(
      /gcp:region "London"/,
    );
    expect(() => settingsFor({ imageTag: 'v1 final' })).toThrow(/prodops:imageTag "v1 final"/);
    expect(settingsFor({ imageTag: `sha256:${'a'.repeat(64)}` }).imageTag).toMatch(/^sha256:/);
  });

  it('checks a secret from the config without quoting it, and refuses one kept in plain text', () => {
    expect(() => settingsFor({ jiraWebhookSecrets: 'too-short-value' })).toThrow(
      /prodops:jiraWebhookSecrets each secret must be at least 16 characters \(one has 15\)/,
    );
    expect(() => settingsFor({ jiraWebhookSecrets: 'too-short-value' })).not.toThrow(/too-short-value/);
    expect(() => settingsFor({ googleServiceAccountKey: '{"type":"authorized_user"}' })).toThrow(
      /prodops:googleServiceAccountKey is not a service-account key/,
    );
    const plain = { ...config().prodops, isSecret: (key: string) => key !== 'notionToken' };
    expect(() => readSettings(plain, config().gcp)).toThrow(
      /prodops:notionToken is in the stack file in plain text: pulumi config set --secret notionToken/,
    );
  });

  it("needs the worker's own secret once the worker is deployed, checked as the worker checks it", () => {
    const error = (() => {
      try {
        settingsFor({ workerSecret: undefined });
      } catch (e) {
        return e as Error;
      }
      throw new Error('no error');
    })();
    expect(error.message).toMatch(
      /prodops:workerSecret is not set \(the worker's own key.*\), needed by the worker:/,
    );
    // Before the image exists there is no worker to need it.
    expect(() => settingsFor({ workerSecret: undefined, imageTag: undefined })).not.toThrow();
    expect(() => settingsFor({ workerSecret: 'short-worker-secret' })).toThrow(
      /prodops:workerSecret must be at least 32 characters/,
    );
    expect(() => settingsFor({ workerSecret: 'short-worker-secret' })).not.toThrow(/short-worker-secret/);
  });

  it('checks the payload keys as the codec does, and refuses one kept in plain text', () => {
    const short = Buffer.alloc(16, 1).toString('base64');
    expect(() => settingsFor({ payloadKey: short })).toThrow(
      /prodops:payloadKey must be 32 random bytes in base64 \(openssl rand -base64 32\): it decodes to 16 bytes/,
    );
    expect(() => settingsFor({ payloadKey: short })).not.toThrow(short);
    expect(() => settingsFor({ payloadOldKeys: `${SECRET_VALUES.payloadKey},not a key!` })).toThrow(
      /prodops:payloadOldKeys \(key 2\) must be 32 random bytes/,
    );
    const plain = { ...config().prodops, isSecret: (key: string) => key !== 'payloadKey' };
    expect(() => readSettings(plain, config().gcp)).toThrow(
      /prodops:payloadKey is in the stack file in plain text: pulumi config set --secret payloadKey/,
    );
    // Optional: without it payloads stay plain and no component is given a payload secret.
    const settings = settingsFor({ payloadKey: undefined, payloadOldKeys: undefined });
    expect(settings.secrets.payloadKey).toBeUndefined();
    expect(
      settingsFor({ payloadKey: undefined, payloadKeySecret: 'projects/vault-prj/secrets/payload-key:4' })
        .secrets.payloadKey,
    ).toEqual({ kind: 'existing', project: 'vault-prj', secretId: 'payload-key', version: '4' });
  });

  it('reads the stack configuration the Pulumi CLI hands over', async () => {
    pulumi.runtime.setAllConfig({
      'gcp:project': PROJECT,
      'gcp:region': REGION,
      'prodops:temporalAddress': 'temporal.internal:7233',
      'prodops:temporalNamespace': 'prodops',
      'prodops:configFile': configFile,
      'prodops:functionsDir': functionsDir,
      'prodops:jiraWebhookSecrets': SECRET_VALUES.jiraWebhookSecrets,
      'prodops:calendarChannelSecretSecret': 'calendar-secret',
    });
    const settings = readSettings();
    expect(settings).toMatchObject({
      project: PROJECT,
      region: REGION,
      temporal: { address: 'temporal.internal:7233', namespace: 'prodops', taskQueue: 'prodops' },
      secrets: {
        calendarChannelSecret: { kind: 'existing', secretId: 'calendar-secret', version: 'latest' },
      },
    });
    expect(settings.imageTag).toBeUndefined();
    const jira = settings.secrets.jiraWebhookSecrets;
    expect(jira?.kind).toBe('value');
    if (jira?.kind === 'value') expect(await pulumi.isSecret(jira.value)).toBe(true);
  });

  it('refuses function bundles built from another configuration', () => {
    const stale = join(scratch, 'stale');
    bundles(stale, 'organisation: { name: Elsewhere }\n');
    expect(() => createStack(settingsFor({ functionsDir: stale }))).toThrow(
      /embeds another configuration than/,
    );
    expect(() => createStack(settingsFor({ functionsDir: join(scratch, 'none') }))).toThrow(
      /no index\.js in .*npm run deploy builds it/,
    );
  });
});

describe('names shared with the rest of prodops', () => {
  it('match what the functions, the worker and the activities read', async () => {
    const { GOOGLE_SCOPES: scopes, GOOGLE_ENV } = await import('../../activities/google-auth');
    const { TRIGGER_SECRET_ENV } = await import('../../triggers/secrets');
    const { CREDENTIAL_ENV } = await import('../../workers/integrations');
    const { ROUTED_PAGE_EVENTS } = await import('../../triggers/notion');
    const { PUBLIC_URL_ENV, TRIGGER_PATHS } = await import('../../triggers/endpoints');
    expect([...GOOGLE_SCOPES]).toEqual([...scopes]);
    expect([...NOTION_EVENT_TYPES].sort()).toEqual([...ROUTED_PAGE_EVENTS].sort());
    expect(SECRETS.jiraWebhookSecrets.env).toBe(TRIGGER_SECRET_ENV.jira);
    expect(SECRETS.notionVerificationTokens.env).toBe(TRIGGER_SECRET_ENV.notion);
    expect(SECRETS.calendarChannelSecret.env).toBe(TRIGGER_SECRET_ENV.calendar);
    expect(SECRETS.insightsSecrets.env).toBe(TRIGGER_SECRET_ENV.insights);
    expect(SECRETS.jiraApiToken.env).toBe(CREDENTIAL_ENV.jiraToken);
    expect(SECRETS.notionToken.env).toBe(CREDENTIAL_ENV.notionToken);
    expect(SECRETS.googleServiceAccountKey.env).toBe(GOOGLE_ENV.serviceAccount);
    const { PAYLOAD_KEY_ENV, PAYLOAD_OLD_KEYS_ENV } = await import('../../runtime/payload-codec');
    expect(SECRETS.payloadKey.env).toBe(PAYLOAD_KEY_ENV);
    expect(SECRETS.payloadOldKeys.env).toBe(PAYLOAD_OLD_KEYS_ENV);
    expect(PUBLIC_URL_ENV).toBe('PRODOPS_PUBLIC_URL');
    expect(TRIGGER_PATHS.calendar).toBe('/calendar');
    expect(TRIGGER_PATHS.insights).toBe('/insights');
  });
});
