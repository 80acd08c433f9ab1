/**
 * `prodops temporal setup`: registers prodops' search attributes on the configured namespace
 * (self-hosted or Temporal Cloud), once per namespace, and creates or updates the rituals'
 * schedules from the configuration. Attributes that already exist with the right type and
 * schedules already as configured are left alone, so the command can run on every deployment.
 */
import { ALL_SEARCH_ATTRIBUTES, INDEXED_VALUE_TYPE } from '../domain/search-attributes';
import { loadConfig } from '../runtime/config';
import { withTemporal } from '../runtime/temporal';
import { ensureRitualSchedules, formatScheduleOutcome } from './schedules';
import type { CliIO } from './main';

const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(INDEXED_VALUE_TYPE).map(([name, value]) => [value, name]),
);

export async function setUpTemporal(options: { configPath?: string; io: CliIO }): Promise<number> {
  const { config } = loadConfig(options.configPath);
  return withTemporal(config.temporal, async ({ client, connection, temporal }) => {
    const existing = await connection.operatorService.listSearchAttributes({ namespace: temporal.namespace });
    const custom = existing.customAttributes ?? {};
    const missing: Record<string, number> = {};
    let conflicts = 0;
    for (const key of ALL_SEARCH_ATTRIBUTES) {
      const wanted = INDEXED_VALUE_TYPE[key.type];
      const found = custom[key.name];
      if (found === undefined || found === null) missing[key.name] = wanted;
      else if (Number(found) !== wanted) {
        conflicts++;
        options.io.err(
          `prodops: search attribute ${key.name} exists as ${TYPE_NAMES[Number(found)] ?? String(found)}, prodops needs ${key.type}`,
        );
      }
    }
    if (Object.keys(missing).length > 0) {
      await connection.operatorService.addSearchAttributes({
        namespace: temporal.namespace,
        searchAttributes: missing,
      });
    }
    options.io.out(
      `${temporal.address} ${temporal.namespace}: ${Object.keys(missing).length} search attributes added, ${ALL_SEARCH_ATTRIBUTES.length - Object.keys(missing).length - conflicts} already there${conflicts ? `, ${conflicts} with the wrong type` : ''}`,
    );
    if (conflicts > 0) return 1;
    for (const outcome of await ensureRitualSchedules(client, config))
      options.io.out(formatScheduleOutcome(outcome));
    return 0;
  });
}
