/**
 * Finding and loading the organisation configuration, for commands, workers and the deployed
 * trigger functions alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseOrgConfig, type OrgConfig } from '../domain/config';
import { MissingConfigError } from './errors';

export const DEFAULT_CONFIG_FILE = 'prodops.config.yaml';
export const EXAMPLE_CONFIG_FILE = 'prodops.config.example.yaml';

/** `--config`, then PRODOPS_CONFIG, then ./prodops.config.yaml. */
export function resolveConfigPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env.PRODOPS_CONFIG ?? DEFAULT_CONFIG_FILE);
}

export interface LoadedConfig {
  config: OrgConfig;
  path: string;
  /** True when no configuration was found and the shipped example stands in. */
  isExample: boolean;
}

export function loadConfig(
  explicit?: string,
  options: { allowExample?: boolean; cwd?: string } = {},
): LoadedConfig {
  const path = resolveConfigPath(explicit);
  if (!existsSync(path)) {
    const example = resolve(options.cwd ?? process.cwd(), EXAMPLE_CONFIG_FILE);
    if (
      options.allowExample !== false &&
      explicit === undefined &&
      !process.env.PRODOPS_CONFIG &&
      existsSync(example)
    ) {
      return {
        config: withEnvironmentOverrides(parseOrgConfig(readFileSync(example, 'utf8'), example)),
        path: example,
        isExample: true,
      };
    }
    throw new MissingConfigError(
      `no configuration at ${path}: copy ${EXAMPLE_CONFIG_FILE} to ${DEFAULT_CONFIG_FILE}, or pass --config PATH`,
    );
  }
  return {
    config: withEnvironmentOverrides(parseOrgConfig(readFileSync(path, 'utf8'), path)),
    path,
    isExample: false,
  };
}

/**
 * A deployed function's configuration: the text embedded at build time when there is one, else
 * the file named by PRODOPS_CONFIG (./prodops.config.yaml by default). Never the example: a
 * function that serves real webhooks must not stand on a made-up organisation.
 */
export function loadDeployedConfig(
  embedded: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): OrgConfig {
  if (embedded !== undefined)
    return withEnvironmentOverrides(parseOrgConfig(embedded, 'embedded configuration'), env);
  const path = resolveConfigPath(undefined, env);
  if (!existsSync(path))
    throw new MissingConfigError(
      `no configuration at ${path}: set PRODOPS_CONFIG, or embed one with infra/functions/build.ts`,
    );
  return withEnvironmentOverrides(parseOrgConfig(readFileSync(path, 'utf8'), path), env);
}

/**
 * Where Temporal runs is a property of the deployment, not of the organisation: containers and
 * CI set it through the environment without editing the file.
 */
export function withEnvironmentOverrides(config: OrgConfig, env: NodeJS.ProcessEnv = process.env): OrgConfig {
  const address = env.PRODOPS_TEMPORAL_ADDRESS?.trim();
  const namespace = env.PRODOPS_TEMPORAL_NAMESPACE?.trim();
  const taskQueue = env.PRODOPS_TEMPORAL_TASK_QUEUE?.trim();
  if (!address && !namespace && !taskQueue) return config;
  return {
    ...config,
    temporal: {
      address: address || config.temporal.address,
      namespace: namespace || config.temporal.namespace,
      taskQueue: taskQueue || config.temporal.taskQueue,
    },
  };
}
