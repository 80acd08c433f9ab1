/**
 * docker-compose.yml against the Compose Specification's JSON schema (vendored from
 * compose-spec/compose-spec, schema/compose-spec.json at 170098ba, Apache-2.0), after Compose's
 * own variable interpolation; then what the schema cannot know: that every build, image, env_file
 * and bind mount it names resolves, that images are pinned, and that nothing is published beyond
 * this host but the HTTPS front. And .dockerignore against Docker's own matching rules.
 */
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import ignore from '@balena/dockerignore';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const schema = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/compose-spec.json'), 'utf8')) as object;
// The schema names draft-07 by its https address; Ajv knows the meta-schema by its http one.
const draft07 = JSON.parse(
  readFileSync(join(ROOT, 'node_modules/ajv/dist/refs/json-schema-draft-07.json'), 'utf8'),
) as object;
const validateSchema = new Ajv({ allErrors: true, strict: false })
  .addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' })
  .compile(schema);

/** Files the operator supplies next to the compose file; everything else must be in the repository. */
const OPERATOR_FILES = ['prodops.config.yaml', '.env'];

// ---- Compose's interpolation ------------------------------------------------------------------

type Env = Record<string, string | undefined>;

/** `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`. */
function interpolate(text: string, env: Env): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (
      match,
      braced: string | undefined,
      op: string | undefined,
      arg: string | undefined,
      bare: string | undefined,
    ) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare)!;
      const value = env[name];
      const unset = value === undefined;
      const empty = unset || value === '';
      switch (op) {
        case ':-':
          return empty ? arg! : value;
        case '-':
          return unset ? arg! : value;
        case ':?':
        case '?':
          if (op === ':?' ? empty : unset) throw new Error(`${name}: ${arg || 'is required'}`);
          return value!;
        case ':+':
          return empty ? '' : arg!;
        case '+':
          return unset ? '' : arg!;
        default:
          return value ?? '';
      }
    },
  );
}

function interpolateAll(value: unknown, env: Env): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, env));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, env)]));
  return value;
}

function loadCompose(text: string, env: Env = {}): Record<string, unknown> {
  return interpolateAll(parse(text, { merge: true }), env) as Record<string, unknown>;
}

// ---- What the schema cannot check ---------------------------------------------------------------

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  env_file?: (string | { path: string; required?: boolean })[] | string;
  volumes?: (
    string | { type: string; source?: string; target: string; bind?: { create_host_path?: boolean } }
  )[];
  ports?: (string | number | { host_ip?: string; published?: string | number; target: number })[];
  profiles?: string[];
  depends_on?: string[] | Record<string, unknown>;
}

interface Port {
  hostIp: string | undefined;
  published: string | undefined;
  target: string;
}

/** The short syntax `[[host_ip:]published:]target[/protocol]`, or the long one. */
function parsePort(
  port: string | number | { host_ip?: string; published?: string | number; target: number },
): Port {
  if (typeof port === 'object')
    return { hostIp: port.host_ip, published: port.published?.toString(), target: String(port.target) };
  const text = String(port).replace(/\/(tcp|udp)$/, '');
  const ipv6 = /^\[([^\]]+)\]:(.*)$/.exec(text);
  if (ipv6) {
    const [published, target] = ipv6[2]!.split(':');
    return { hostIp: ipv6[1], published, target: target ?? published! };
  }
  const parts = text.split(':');
  if (parts.length === 3) return { hostIp: parts[0], published: parts[1], target: parts[2]! };
  if (parts.length === 2) return { hostIp: undefined, published: parts[0], target: parts[1]! };
  return { hostIp: undefined, published: undefined, target: parts[0]! };
}

/** Every problem of a parsed compose file whose relative paths start at `dir`. */
function composeProblems(compose: Record<string, unknown>, dir: string): string[] {
  const problems: string[] = [];
  if (!validateSchema(compose))
    for (const error of validateSchema.errors ?? [])
      problems.push(`schema: ${error.instancePath || '/'} ${error.message ?? ''}`);
  const services = (compose.services ?? {}) as Record<string, Service>;
  const exists = (path: string) => existsSync(resolve(dir, path));

  for (const [name, service] of Object.entries(services)) {
    const at = `services.${name}`;
    if (service.build !== undefined) {
      const build = typeof service.build === 'string' ? { context: service.build } : service.build;
      const context = resolve(dir, build.context ?? '.');
      if (!existsSync(context) || !statSync(context).isDirectory())
        problems.push(`${at}.build: no directory ${build.context}`);
      else if (!existsSync(resolve(context, build.dockerfile ?? 'Dockerfile')))
        problems.push(`${at}.build: no ${build.dockerfile ?? 'Dockerfile'} in ${build.context ?? '.'}`);
    }
    if (service.image === undefined) {
      if (service.build === undefined) problems.push(`${at}: neither image nor build`);
    } else {
      const tag = /^[a-z0-9][a-z0-9._/-]*:([A-Za-z0-9_][A-Za-z0-9_.-]*)(@sha256:[a-f0-9]{64})?$/.exec(
        service.image,
      );
      if (!tag) problems.push(`${at}.image: ${service.image} has no tag`);
      else if (tag[1] === 'latest') problems.push(`${at}.image: ${service.image} is not pinned`);
      // A third-party image names its version; our own is built here from the repository.
      else if (service.build === undefined && !/\d/.test(tag[1]!))
        problems.push(`${at}.image: ${service.image} does not name a version`);
      if (/temporalio\/auto-setup/.test(service.image))
        problems.push(`${at}.image: temporalio/auto-setup is deprecated`);
    }
    const envFiles =
      service.env_file === undefined
        ? []
        : Array.isArray(service.env_file)
          ? service.env_file
          : [service.env_file];
    for (const entry of envFiles) {
      const { path, required } =
        typeof entry === 'string' ? { path: entry, required: true } : { required: true, ...entry };
      if (required !== false && !exists(path)) problems.push(`${at}.env_file: ${path} does not exist`);
      if (!exists(path) && !OPERATOR_FILES.includes(path.replace(/^\.\//, '')))
        problems.push(`${at}.env_file: ${path} is neither in the repository nor an operator's file`);
    }
    for (const volume of service.volumes ?? []) {
      const bind =
        typeof volume === 'string'
          ? /^[./~]/.test(volume)
            ? { source: volume.split(':')[0]!, createHostPath: true }
            : undefined
          : volume.type === 'bind'
            ? { source: volume.source!, createHostPath: volume.bind?.create_host_path !== false }
            : undefined;
      if (!bind) continue;
      if (exists(bind.source)) continue;
      if (!OPERATOR_FILES.includes(bind.source.replace(/^\.\//, '')))
        problems.push(`${at}.volumes: ${bind.source} does not exist`);
      else if (bind.createHostPath)
        problems.push(
          `${at}.volumes: ${bind.source} would be created as an empty directory when missing (bind.create_host_path: false)`,
        );
    }
    const dependencies = Array.isArray(service.depends_on)
      ? service.depends_on
      : Object.keys(service.depends_on ?? {});
    for (const dependency of dependencies)
      if (!(dependency in services)) problems.push(`${at}.depends_on: no service ${dependency}`);
    for (const port of (service.ports ?? []).map(parsePort)) {
      if (port.hostIp === '127.0.0.1') continue;
      // Only a front that is off by default may listen beyond this host, and only for HTTP(S).
      const publicFront = (service.profiles ?? []).length > 0 && ['80', '443'].includes(port.published ?? '');
      if (!publicFront)
        problems.push(
          `${at}.ports: ${port.published ?? port.target} is published on ${port.hostIp ?? 'every interface'}`,
        );
    }
  }
  return problems;
}

// ---- The tests ---------------------------------------------------------------------------------

const text = readFileSync(COMPOSE_FILE, 'utf8');

describe('docker-compose.yml', () => {
  it('is a valid Compose file whose references all resolve', () => {
    expect(composeProblems(loadCompose(text), ROOT)).toEqual([]);
    // The same with the variables an operator may set in .env.
    const customised = loadCompose(text, {
      PRODOPS_TEMPORAL_NAMESPACE: 'prodops',
      TEMPORAL_DB_PASSWORD: 'a-long-password',
      PRODOPS_DOMAIN: 'prodops.northwind.example',
    });
    expect(composeProblems(customised, ROOT)).toEqual([]);
  });

  it('runs Temporal from the server image, with the schema set up and the namespace made first', () => {
    const { services } = loadCompose(text) as { services: Record<string, Service & Record<string, unknown>> };
    expect(services.temporal!.image).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
    expect(services['temporal-schema']!.image).toMatch(/^temporalio\/admin-tools:\d+\.\d+\.\d+$/);
    // Server and tools of one version: the schema the tools install is the one the server expects.
    expect(services['temporal-schema']!.image!.split(':')[1]).toBe(services.temporal!.image!.split(':')[1]);
    expect(JSON.stringify(services['temporal-schema']!.command)).toContain('update-schema');
    expect(services.temporal!.depends_on).toEqual({
      'temporal-schema': { condition: 'service_completed_successfully' },
    });
    expect(services['prodops-setup']!.command).toEqual(['temporal', 'setup']);
    // The gateway listens on 127.0.0.1 unless told; in its container the host mapping is the limit.
    expect(services.gateway!.command).toEqual([
      'gateway',
      '--port',
      '8787',
      '--host',
      '0.0.0.0',
      '--dashboard-port',
      '8788',
      '--dashboard-host',
      '0.0.0.0',
    ]);
    expect(services.worker!.depends_on).toEqual({
      'prodops-setup': { condition: 'service_completed_successfully' },
    });
    // One namespace for the server and for prodops.
    expect(JSON.stringify(services['temporal-namespace']!.environment)).toContain('"NAMESPACE":"default"');
    expect(services.worker!.environment).toMatchObject({ PRODOPS_TEMPORAL_NAMESPACE: 'default' });
  });

  it("gives every prodops container the operator's .env: each opens a Temporal client that needs the payload key", () => {
    const { services } = loadCompose(text) as { services: Record<string, Service> };
    const prodops = Object.entries(services).filter(
      ([, service]) =>
        JSON.stringify(service.image ?? service.build) ===
        JSON.stringify(services.worker!.image ?? services.worker!.build),
    );
    expect(prodops.map(([name]) => name).sort()).toEqual(['gateway', 'prodops-setup', 'worker']);
    for (const [name, service] of prodops)
      expect(service.env_file, name).toEqual([{ path: '.env', required: false }]);
  });

  it('publishes Temporal, its UI, the gateway, its dashboard and the metrics on 127.0.0.1 only; the HTTPS front is opt-in', () => {
    const { services } = loadCompose(text) as { services: Record<string, Service> };
    const published = Object.entries(services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => ({ name, ...parsePort(p), profiles: s.profiles })),
    );
    expect(published.filter((p) => p.hostIp === '127.0.0.1').map((p) => `${p.name}:${p.published}`)).toEqual([
      'temporal:7233',
      'temporal-ui:8233',
      'worker:9464',
      'gateway:8787',
      'gateway:9465',
      'gateway:8788',
    ]);
    expect(published.filter((p) => p.hostIp !== '127.0.0.1')).toEqual([
      { name: 'tls-proxy', hostIp: undefined, published: '80', target: '80', profiles: ['tls'] },
      { name: 'tls-proxy', hostIp: undefined, published: '443', target: '443', profiles: ['tls'] },
    ]);
  });

  it('finds what is wrong in a file that gets it wrong', () => {
    const broken = loadCompose(
      text
        .replace("'127.0.0.1:7233:7233'", "'7233:7233'")
        .replace("'127.0.0.1:8233:8080'", "'0.0.0.0:8233:8080'")
        .replace('temporalio/ui:2.42.1', 'temporalio/ui:latest')
        .replace('image: postgres:16.15', 'image: postgres')
        .replace('./infra/compose/Caddyfile', './infra/compose/Nofile')
        .replace('create_host_path: false', 'create_host_path: true')
        .replace('depends_on:\n      postgresql:', 'depends_on:\n      postgres:')
        .replace('  temporal-ui:\n', '  temporal-ui:\n    replicas: 2\n'),
    );
    const problems = composeProblems(broken, ROOT);
    expect(problems).toEqual(
      expect.arrayContaining([
        'services.temporal.ports: 7233 is published on every interface',
        'services.temporal-ui.ports: 8233 is published on 0.0.0.0',
        'services.temporal-ui.image: temporalio/ui:latest is not pinned',
        'services.postgresql.image: postgres has no tag',
        'services.tls-proxy.volumes: ./infra/compose/Nofile does not exist',
        'services.temporal-schema.depends_on: no service postgres',
        'services.worker.volumes: ./prodops.config.yaml would be created as an empty directory when missing (bind.create_host_path: false)',
        'schema: /services/temporal-ui must NOT have additional properties',
      ]),
    );
    const deprecated = loadCompose(text.replace('temporalio/server:1.30.1', 'temporalio/auto-setup:1.29.1'));
    expect(composeProblems(deprecated, ROOT)).toContain(
      'services.temporal.image: temporalio/auto-setup is deprecated',
    );
  });

  it('interpolates as Compose does', () => {
    expect(interpolate('${A:-x}/${B-y}/$$C/${D}', { B: '' })).toBe('x//$C/');
    expect(interpolate('${A:+set}${B+unset}', { A: 'v' })).toBe('set');
    expect(() => interpolate('${TOKEN:?set TOKEN}', { TOKEN: '' })).toThrow('TOKEN: set TOKEN');
  });
});

describe('.dockerignore', () => {
  const rules = ignore().add(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));

  it('keeps secrets, keys, local state and local configuration out of the image', () => {
    for (const path of [
      '.env',
      '.env.production',
      'deploy/.env',
      'key.pem',
      'secrets/tls.key',
      'certs/client.p12',
      'service-account.json',
      'keys/northwind-prodops-1a2b3c4d5e6f.json',
      '.prodops/trigger-secrets.json',
      '.prodops/temporal.db',
      'prodops.config.yaml',
      'infra/gcp/Pulumi.prod.yaml',
      'node_modules/zod/package.json',
    ])
      expect(rules.ignores(path), path).toBe(true);
  });

  it('keeps everything prodops runs from', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
    const needed = tracked.filter((path) =>
      /^(bin|cli|workers|workflows|activities|domain|triggers|sandbox)\/|^(package\.json|package-lock\.json|tsconfig\.json|prodops\.config\.example\.yaml)$/.test(
        path,
      ),
    );
    expect(needed.length).toBeGreaterThan(50);
    expect(needed.filter((path) => rules.ignores(path))).toEqual([]);
  });
});
