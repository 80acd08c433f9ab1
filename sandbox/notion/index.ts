/**
 * A stand-in for the Notion API (version 2025-09-03: databases hold data sources, rows are
 * pages whose parent is a data source). It implements the subset prodops calls with Notion's
 * request validation, response shapes and error bodies, so a request the real API would refuse
 * is refused here too. State lives in memory, seeded from the org configuration: every person
 * is a workspace user and every data source named in `integrations.notion.dataSources` exists
 * with a schema that the workflows write to.
 *
 *   model.ts       records, value shapes, limits       schema.ts      seeded data sources
 *   store.ts       state, and a person's app edits     errors.ts      Notion's error body, value checks
 *   ids.ts         ids and stable seeded ids           dates.ts       dates, relative dates, windows
 *   rich-text.ts   rich text items and plain text      properties.ts  property values by type
 *   blocks.ts      block children in requests          filters.ts     the query filter table
 *   query.ts       sorts, paging, list objects         render.ts      response shapes
 *   routes.ts      the /v1 routes
 */
import type { OrgConfig } from '../../domain/config';
import { storeVendor } from '../http';
import type { NotionSandboxOptions } from './model';
import { registerNotionRoutes } from './routes';
import { NotionStore } from './store';

export { normalizeNotionId } from './ids';
export {
  INVALID_NOTION_TOKEN,
  NOTION_VERSION,
  type BlockRecord,
  type DataSourceRecord,
  type NotionPropertyType,
  type NotionSandboxOptions,
  type NotionUser,
  type PageRecord,
  type PropertySchema,
  type SelectOption,
  type SimplePropertyInput,
  type StatusGroup,
  type StoredValue,
} from './model';
export { NotionStore } from './store';

export function createNotionSandbox(config: OrgConfig, options: NotionSandboxOptions = {}) {
  return storeVendor(
    'notion',
    new NotionStore(config, options.now ?? (() => Date.now()), options.withholdEmails ?? false),
    registerNotionRoutes,
  );
}

export type NotionSandbox = ReturnType<typeof createNotionSandbox>;
