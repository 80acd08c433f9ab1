/**
 * Finding and loading the organisation configuration, for commands, workers and the deployed
 * trigger functions alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseOrgConfig, type OrgConfig } from '../domain/config';
import { MissingConfigError } from './errors';
import { withEnvironmentOverrides } from './temporal-options';

export { withEnvironmentOverrides };

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
