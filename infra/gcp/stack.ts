/**
 * prodops on Google Cloud: the three trigger functions (Cloud Run functions, one service account
 * each, each reading only its own secrets), the worker as a Cloud Run worker pool that never
 * scales to zero, a one-off job that registers the search attributes, the registry the worker's
 * image lives in, and the secrets they read. Everything regional sits in the stack's region.
 */
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { jiraWebhookJql } from '../../domain/config';
import {
  FUNCTION_NAMES,
  REPO_ROOT,
  SECRET_READERS,
  SECRETS,
  type Component,
  type FunctionName,
  type SecretName,
  type StackSettings,
} from './settings';

/** The Jira admin webhook's events; the jira function ignores every other event. */
export const JIRA_WEBHOOK_EVENTS = [
  'jira:issue_created',
  'jira:issue_updated',
  'jira:issue_deleted',
] as const;
/** The Notion subscription's event types: the page events that can change what a route reads. */
export const NOTION_EVENT_TYPES = [
  'page.created',
  'page.properties_updated',
  'page.undeleted',
  'page.moved',
] as const;
/** What the domain-wide delegation must allow: what the Calendar and Gmail activities ask for. */
export const GOOGLE_SCOPES = [
  'https://www.googleapis.com/auth/calendar',
  'https://www.googleapis.com/auth/gmail.send',
  'https://www.googleapis.com/auth/gmail.readonly',
] as const;

/** Google APIs the stack uses, and the two the worker calls as the delegated service account. */
export const APIS = [
  'artifactregistry.googleapis.com',
  'cloudbuild.googleapis.com',
  'cloudfunctions.googleapis.com',
  'iam.googleapis.com',
  'monitoring.googleapis.com',
  'run.googleapis.com',
  'secretmanager.googleapis.com',
  'storage.googleapis.com',
  'calendar-json.googleapis.com',
  'gmail.googleapis.com',
] as const;

export const WORKER_POOL_NAME = 'prodops-worker';
/** Where the worker serves its metrics, inside the instance: the sidecar's default scrape target. */
export const WORKER_METRICS_ADDRESS = '0.0.0.0:8080';
export const SETUP_JOB_NAME = 'prodops-temporal-setup';
export const CONFIG_SECRET_ID = 'prodops-config';
const CONFIG_MOUNT = '/config';
const CONFIG_FILE = 'prodops.config.yaml';
const LABELS = { app: 'prodops' };

export interface ProdopsStack {
  /** Every resource the stack declares, for tests that look at all of them. */
  resources: pulumi.Resource[];
  outputs: {
    webhookUrls: Record<FunctionName, pulumi.Output<string>>;
    jiraWebhook: pulumi.Output<{ url: string; events: string[]; jqlFilter: string; secret: string }>;
    notionSubscription: pulumi.Output<{ url: string; eventTypes: string[]; verificationToken: string }>;
    publicUrl: string;
    calendarNotificationUrl: pulumi.Output<string>;
    image: string;
    worker: string;
    temporalSetup: string;
    /** Starts every calendar's sync (one push channel each), as an execution of the setup job. */
    calendarWatch: string;
    workspaceServiceAccount: pulumi.Output<{
      email: string;
      clientId: string;
      scopes: string;
      keyCommand: string;
    }>;
  };
}

/** How a consumer names a secret: the Cloud Run reference and the IAM resource it is granted on. */
interface SecretRef {
  project: string;
  secretId: pulumi.Input<string>;
  version: pulumi.Input<string>;
  /** For humans: where the value is. */
  describe: string;
}

export function createStack(s: StackSettings): ProdopsStack {
  const resources: pulumi.Resource[] = [];
  const keep = <R extends pulumi.Resource>(resource: R): R => {
    resources.push(resource);
    return resource;
  };
  const { project, region } = s;

  const apis = APIS.map((service) =>
    keep(
      new gcp.projects.Service(`api-${service.split('.')[0]}`, {
        project,
        service,
        // Other workloads in the project may use them: removing the stack leaves them on.
        disableOnDestroy: false,
        disableDependentServices: false,
      }),
    ),
  );
  const afterApis: pulumi.CustomResourceOptions = { dependsOn: apis };

  // ---- Secrets ---------------------------------------------------------------------------------
  const refs = new Map<SecretName | 'config', SecretRef>();
  const secretEntry = (secretId: string, data: pulumi.Input<string>): SecretRef => {
    const secret = keep(
      new gcp.secretmanager.Secret(
        `secret-${secretId}`,
        {
          project,
          secretId,
          labels: LABELS,
          // Kept in the stack's region, not replicated around the world.
          replication: { userManaged: { replicas: [{ location: region }] } },
        },
        afterApis,
      ),
    );
    const version = keep(
      new gcp.secretmanager.SecretVersion(`secret-${secretId}-version`, {
        secret: secret.id,
        secretData: pulumi.secret(data),
      }),
    );
    // Consumers pin the version made here: a changed value rolls out a new revision at once.
    return {
      project,
      secretId: secret.secretId,
      version: version.version,
      describe: `Secret Manager secret projects/${project}/secrets/${secretId}`,
    };
  };
  for (const name of Object.keys(SECRETS) as SecretName[]) {
    const source = s.secrets[name];
    if (!source) continue;
    refs.set(
      name,
      source.kind === 'value'
        ? secretEntry(SECRETS[name].secretId, source.value)
        : {
            project: source.project,
            secretId: source.secretId,
            version: source.version,
            describe: `Secret Manager secret projects/${source.project}/secrets/${source.secretId} (version ${source.version})`,
          },
    );
  }

  // ---- Identities ------------------------------------------------------------------------------
  const account = (component: string, displayName: string) =>
    keep(
      new gcp.serviceaccount.Account(
        `sa-${component}`,
        { project, accountId: `prodops-${component}`, displayName },
        afterApis,
      ),
    );
  const memberOf = (sa: gcp.serviceaccount.Account) => pulumi.interpolate`serviceAccount:${sa.email}`;

  /** Read access, secret by secret: a component can read exactly the secrets it is given. */
  const grantSecrets = (
    component: Component | 'config',
    sa: gcp.serviceaccount.Account,
    names: readonly (SecretName | 'config')[],
  ): pulumi.Resource[] =>
    names.flatMap((name) => {
      const ref = refs.get(name);
      if (!ref) return [];
      return [
        keep(
          new gcp.secretmanager.SecretIamMember(`${component}-reads-${name}`, {
            project: ref.project,
            secretId: ref.secretId,
            role: 'roles/secretmanager.secretAccessor',
            member: memberOf(sa),
          }),
        ),
      ];
    });

  const secretEnv = (names: readonly SecretName[]) =>
    names
      .filter((name) => refs.has(name) && !('file' in SECRETS[name]))
      .map((name) => ({ name, env: SECRETS[name].env, ref: refs.get(name)! }));

  const temporalEnv: Record<string, string> = {
    PRODOPS_TEMPORAL_ADDRESS: s.temporal.address,
    PRODOPS_TEMPORAL_NAMESPACE: s.temporal.namespace,
    PRODOPS_TEMPORAL_TASK_QUEUE: s.temporal.taskQueue,
  };

  // ---- Trigger functions -----------------------------------------------------------------------
  const bucket = keep(
    new gcp.storage.Bucket(
      'function-sources',
      {
        project,
        name: `${project}-prodops-functions`,
        location: region,
        labels: LABELS,
        uniformBucketLevelAccess: true,
        publicAccessPrevention: 'enforced',
        // It only ever holds build inputs, which Pulumi replaces on every change.
        forceDestroy: true,
      },
      afterApis,
    ),
  );
  // Cloud Build builds each function (npm install of the Functions Framework) as this account.
  const buildSa = account('build', 'prodops function builds');
  const buildRole = keep(
    new gcp.projects.IAMMember('build-builds-functions', {
      project,
      role: 'roles/cloudbuild.builds.builder',
      member: memberOf(buildSa),
    }),
  );

  const functions = {} as Record<FunctionName, gcp.cloudfunctionsv2.Function>;
  for (const name of FUNCTION_NAMES) {
    const bundle = readBundle(s, name);
    const object = keep(
      new gcp.storage.BucketObject(`${name}-source`, {
        bucket: bucket.name,
        // Named by content: a changed bundle is a new object, and so a new build and revision.
        name: `${name}/${bundle.sha256.slice(0, 20)}.zip`,
        contentType: 'application/zip',
        source: new pulumi.asset.AssetArchive(
          Object.fromEntries(
            bundle.files.map((file) => [file, new pulumi.asset.FileAsset(join(bundle.dir, file))]),
          ),
        ),
      }),
    );
    const sa = account(name, `prodops ${name} trigger function`);
    const grants = grantSecrets(name, sa, SECRET_READERS[name]);
    const fn = keep(
      new gcp.cloudfunctionsv2.Function(
        name,
        {
          // The name is the URL's last segment: <publicUrl>/calendar is where channels post.
          name,
          project,
          location: region,
          description: `prodops ${name} webhooks: verify the sender, then signal Temporal`,
          labels: { ...LABELS, component: name },
          buildConfig: {
            runtime: 'nodejs24',
            entryPoint: name,
            serviceAccount: pulumi.interpolate`projects/${project}/serviceAccounts/${buildSa.email}`,
            source: { storageSource: { bucket: bucket.name, object: object.name } },
          },
          serviceConfig: {
            serviceAccountEmail: sa.email,
            // Jira, Notion and Google call from the internet and cannot present Google credentials.
            ingressSettings: 'ALLOW_ALL',
            allTrafficOnLatestRevision: true,
            maxInstanceCount: s.functions.maxInstances,
            minInstanceCount: s.functions.minInstances,
            maxInstanceRequestConcurrency: s.functions.concurrency,
            availableCpu: s.functions.cpu,
            availableMemory: s.functions.memory,
            timeoutSeconds: s.functions.timeoutSeconds,
            environmentVariables: {
              ...temporalEnv,
              ...(name === 'calendar' ? { PRODOPS_PUBLIC_URL: s.publicUrl } : {}),
            },
            secretEnvironmentVariables: secretEnv(SECRET_READERS[name]).map(({ env, ref }) => ({
              key: env,
              projectId: ref.project,
              secret: ref.secretId,
              version: ref.version,
            })),
            ...(s.vpc
              ? {
                  directVpcNetworkInterfaces: [{ network: s.vpc.network, subnetwork: s.vpc.subnetwork }],
                  directVpcEgress: 'VPC_EGRESS_PRIVATE_RANGES_ONLY',
                }
              : {}),
          },
        },
        // The revision starts only once its account may read its secrets and the build may run.
        { dependsOn: [...apis, ...grants, buildRole] },
      ),
    );
    // The vendors' signatures are the authentication: anyone may invoke, only signed bodies pass.
    keep(
      new gcp.cloudrunv2.ServiceIamMember(`${name}-public-invoker`, {
        project,
        location: region,
        name: fn.name,
        role: 'roles/run.invoker',
        member: 'allUsers',
      }),
    );
    functions[name] = fn;
  }

  const calendarNotificationUrl = `${s.publicUrl}/calendar`;
  functions.calendar.url.apply((url) => {
    if (url && url !== calendarNotificationUrl)
      void pulumi.log.warn(
        `the calendar function answers at ${url}, but channels will post to ${calendarNotificationUrl}: set prodops:publicUrl so that <publicUrl>/calendar reaches it`,
      );
  });

  // ---- Google Workspace identity ---------------------------------------------------------------
  // Domain-wide delegation is granted to this account by a Workspace admin; its key lives only in
  // Secret Manager (see the README). It holds no Google Cloud role.
  const workspaceSa = account('workspace', 'prodops Google Workspace (domain-wide delegation)');

  // ---- Worker image, worker pool and setup job ------------------------------------------------
  const repository = keep(
    new gcp.artifactregistry.Repository(
      'images',
      {
        project,
        location: region,
        repositoryId: 'prodops',
        format: 'DOCKER',
        description: 'prodops worker images',
        labels: LABELS,
        // A tag always names the same image, so a deployment can be repeated exactly.
        dockerConfig: { immutableTags: true },
        cleanupPolicies: [
          { id: 'keep-recent', action: 'KEEP', mostRecentVersions: { keepCount: 10 } },
          { id: 'delete-old', action: 'DELETE', condition: { olderThan: `${90 * 24 * 3600}s` } },
        ],
      },
      afterApis,
    ),
  );
  const imageRepository = `${region}-docker.pkg.dev/${project}/prodops/prodops`;
  const image = s.imageTag
    ? s.imageTag.startsWith('sha256:')
      ? `${imageRepository}@${s.imageTag}`
      : `${imageRepository}:${s.imageTag}`
    : `${imageRepository}:<tag>`;

  let worker = `not deployed: push the image to ${imageRepository}:<tag>, then pulumi config set imageTag <tag> and deploy again`;
  let temporalSetup = 'not deployed: it uses the worker image (see worker)';
  let calendarWatch = temporalSetup;
  if (s.imageTag) {
    refs.set('config', secretEntry(CONFIG_SECRET_ID, s.org.text));
    const configVolume = {
      name: 'config',
      secret: {
        secret: refs.get('config')!.secretId,
        items: [{ path: CONFIG_FILE, version: refs.get('config')!.version }],
      },
    };
    const configMount = { name: 'config', mountPath: CONFIG_MOUNT };
    const vpcAccess = s.vpc
      ? {
          vpcAccess: {
            networkInterfaces: [{ network: s.vpc.network, subnetwork: s.vpc.subnetwork }],
            egress: 'PRIVATE_RANGES_ONLY',
          },
        }
      : {};
    const plainEnv = (values: Record<string, string>) =>
      Object.entries(values).map(([name, value]) => ({ name, value }));
    const secretEnvs = (names: readonly SecretName[]) =>
      secretEnv(names).map(({ env, ref }) => ({
        name: env,
        valueSource: { secretKeyRef: { secret: ref.secretId, version: ref.version } },
      }));

    const workerSa = account('worker', 'prodops worker');
    const workerGrants = [
      ...grantSecrets('worker', workerSa, SECRET_READERS.worker),
      ...grantSecrets('config', workerSa, ['config']),
    ];
    // The sidecar writes the worker's metrics to Cloud Monitoring as the worker's identity.
    if (s.worker.metricsSidecar)
      keep(
        new gcp.projects.IAMMember(
          'worker-writes-metrics',
          { project, role: 'roles/monitoring.metricWriter', member: memberOf(workerSa) },
          afterApis,
        ),
      );
    const googleKey = refs.get('googleServiceAccountKey')!;
    const googleFile = SECRETS.googleServiceAccountKey.file;
    const googleDir = googleFile.slice(0, googleFile.lastIndexOf('/'));
    keep(
      new gcp.cloudrunv2.WorkerPool(
        'worker',
        {
          name: WORKER_POOL_NAME,
          project,
          location: region,
          description: 'prodops workers: workflows and the Jira, Notion and Google activities',
          labels: { ...LABELS, component: 'worker' },
          deletionProtection: false,
          // A Temporal worker polls: it has no endpoint and no request load to scale on.
          scaling: { scalingMode: 'MANUAL', manualInstanceCount: s.worker.instances },
          template: {
            serviceAccount: workerSa.email,
            containers: [
              {
                name: 'worker',
                image,
                args: ['worker'],
                resources: { limits: { cpu: s.worker.cpu, memory: s.worker.memory } },
                envs: [
                  ...plainEnv({
                    ...temporalEnv,
                    PRODOPS_CONFIG: `${CONFIG_MOUNT}/${CONFIG_FILE}`,
                    PRODOPS_PUBLIC_URL: s.publicUrl,
                    PRODOPS_JIRA_EMAIL: s.jiraEmail ?? '',
                    // A path: the key itself is only in the mounted secret file.
                    [SECRETS.googleServiceAccountKey.env]: googleFile,
                    // A worker pool has no ingress: only the sidecar, on the same instance, reaches it.
                    ...(s.worker.metricsSidecar ? { PRODOPS_METRICS_ADDRESS: WORKER_METRICS_ADDRESS } : {}),
                  }),
                  ...secretEnvs(SECRET_READERS.worker),
                ],
                volumeMounts: [configMount, { name: 'google', mountPath: googleDir }],
              },
              // Scrapes the worker's /metrics (its default target, localhost:8080) every 30 s and
              // writes them to Managed Service for Prometheus: a worker pool has no URL to scrape.
              ...(s.worker.metricsSidecar
                ? [{ name: 'metrics', image: s.worker.metricsSidecar, dependsOns: ['worker'] }]
                : []),
            ],
            volumes: [
              configVolume,
              {
                name: 'google',
                secret: {
                  secret: googleKey.secretId,
                  items: [{ path: googleFile.slice(googleDir.length + 1), version: googleKey.version }],
                },
              },
            ],
            ...vpcAccess,
          },
        },
        { dependsOn: [...apis, ...workerGrants, repository] },
      ),
    );
    worker = `${WORKER_POOL_NAME} (${s.worker.instances} instance${s.worker.instances === 1 ? '' : 's'}, ${image})`;

    const setupSa = account('setup', 'prodops Temporal namespace setup');
    const setupGrants = [
      ...grantSecrets('setup', setupSa, SECRET_READERS.setup),
      ...grantSecrets('config', setupSa, ['config']),
    ];
    keep(
      new gcp.cloudrunv2.Job(
        'temporal-setup',
        {
          name: SETUP_JOB_NAME,
          project,
          location: region,
          labels: { ...LABELS, component: 'setup' },
          deletionProtection: false,
          template: {
            taskCount: 1,
            template: {
              serviceAccount: setupSa.email,
              maxRetries: 1,
              timeout: '120s',
              containers: [
                {
                  name: 'setup',
                  image,
                  args: ['temporal', 'setup'],
                  envs: [
                    // Also what `calendar watch --all` needs, run as an execution of this job.
                    ...plainEnv({
                      ...temporalEnv,
                      PRODOPS_CONFIG: `${CONFIG_MOUNT}/${CONFIG_FILE}`,
                      PRODOPS_PUBLIC_URL: s.publicUrl,
                    }),
                    ...secretEnvs(SECRET_READERS.setup),
                  ],
                  volumeMounts: [configMount],
                },
              ],
              volumes: [configVolume],
              ...vpcAccess,
            },
          },
        },
        { dependsOn: [...apis, ...setupGrants, repository] },
      ),
    );
    temporalSetup = `gcloud run jobs execute ${SETUP_JOB_NAME} --project ${project} --region ${region} --wait`;
    calendarWatch = `${temporalSetup} --args=calendar,watch,--all`;
  }

  // ---- What to paste where -------------------------------------------------------------------
  const jiraSecret = refs.get('jiraWebhookSecrets');
  const notionTokens = refs.get('notionVerificationTokens');
  const googleKey = refs.get('googleServiceAccountKey');
  return {
    resources,
    outputs: {
      webhookUrls: {
        jira: functions.jira.url,
        notion: functions.notion.url,
        calendar: functions.calendar.url,
        insights: functions.insights.url,
      },
      jiraWebhook: pulumi.output(functions.jira.url).apply((url) => ({
        url,
        events: [...JIRA_WEBHOOK_EVENTS],
        jqlFilter: jiraWebhookJql(s.org.config),
        secret: `${s.secrets.jiraWebhookSecrets?.kind === 'value' ? 'the value of prodops:jiraWebhookSecrets (the first one, while two are set), kept in ' : 'the value of '}${jiraSecret?.describe ?? 'prodops:jiraWebhookSecrets'}`,
      })),
      notionSubscription: pulumi.output(functions.notion.url).apply((url) => ({
        url,
        eventTypes: [...NOTION_EVENT_TYPES],
        verificationToken: notionTokens
          ? `in ${notionTokens.describe}`
          : 'Notion sends it to the notion function, which logs it (gcloud functions logs read notion): paste it into Notion and into pulumi config set --secret notionVerificationTokens, then deploy again',
      })),
      publicUrl: s.publicUrl,
      calendarNotificationUrl: pulumi.output(calendarNotificationUrl),
      image,
      worker,
      temporalSetup,
      calendarWatch,
      workspaceServiceAccount: pulumi
        .all([workspaceSa.email, workspaceSa.uniqueId])
        .apply(([email, clientId]) => ({
          email,
          clientId,
          scopes: GOOGLE_SCOPES.join(','),
          keyCommand: googleKey
            ? `the key is in ${googleKey.describe}`
            : `gcloud secrets create ${SECRETS.googleServiceAccountKey.secretId} --project ${project} --replication-policy user-managed --locations ${region} && gcloud iam service-accounts keys create /dev/stdout --iam-account ${email} | gcloud secrets versions add ${SECRETS.googleServiceAccountKey.secretId} --project ${project} --data-file=- && pulumi config set googleServiceAccountKeySecret ${SECRETS.googleServiceAccountKey.secretId}`,
        })),
    },
  };
}

interface Bundle {
  dir: string;
  /** What the function's source holds: every file build.ts wrote but build-info.json. */
  files: string[];
  sha256: string;
}

/**
 * A function's bundle as infra/functions/build.ts left it, refused when missing or when it embeds
 * another configuration than the worker's: both halves of prodops must read the same organisation.
 */
function readBundle(s: StackSettings, name: FunctionName): Bundle {
  const dir = join(s.functionsDir, name);
  const shown = relative(REPO_ROOT, dir) || dir;
  const rebuild = `npm run deploy builds it (or npx tsx infra/functions/build.ts --config ${relative(REPO_ROOT, s.org.path)})`;
  for (const file of ['index.js', 'package.json', 'build-info.json'])
    if (!existsSync(join(dir, file))) throw new Error(`no ${file} in ${shown}: ${rebuild}`);
  const info = JSON.parse(readFileSync(join(dir, 'build-info.json'), 'utf8')) as { configSha256?: unknown };
  if (info.configSha256 !== s.org.sha256)
    throw new Error(
      `${shown} embeds another configuration than ${relative(REPO_ROOT, s.org.path)}: ${rebuild}`,
    );
  // The entry, its chunks, package.json and the gcp-build script; a compile cache made on this
  // machine (.compile-cache/) stays here: the runtime's build makes its own (compile-cache.ts).
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name !== 'build-info.json' && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update(readFileSync(join(dir, file)));
  return { dir, files, sha256: hash.digest('hex') };
}
