import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseOrgConfig, type OrgConfig } from '../../domain/config';

export const EXAMPLE_CONFIG_PATH = fileURLToPath(
  new URL('../../prodops.config.example.yaml', import.meta.url),
);

export function exampleConfigText(): string {
  return readFileSync(EXAMPLE_CONFIG_PATH, 'utf8');
}

/** The shipped example organisation, parsed and validated. */
export function loadExampleConfig(): OrgConfig {
  return parseOrgConfig(exampleConfigText(), EXAMPLE_CONFIG_PATH);
}
