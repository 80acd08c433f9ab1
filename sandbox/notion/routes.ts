/**
 * The Notion routes prodops calls (API 2025-09-03): query and read a data source, create, read
 * and update pages, read a page property item, append and list block children, list users. Every request is checked for a
 * bearer token, the Notion-Version header and the body size before anything else, as Notion does.
 */
import { isRecord, ok, type SandboxRequest, type SandboxResponse, type SandboxRouter } from '../http';
import { canHoldChildren, validateChildren } from './blocks';
import { randomUUID } from 'node:crypto';
import {
  NotionError,
  bodyInvalid,
  codeForStatus,
  notionErrorBody,
  objectNotFound,
  shown,
  validation,
  wrongType,
} from './errors';
import { compileFilter } from './filters';
import { idOf, stableUuid } from './ids';
import {
  INVALID_NOTION_TOKEN,
  MAX_BODY_BYTES,
  NOTION_VERSION,
  PAGE_SCHEMA,
  type BlockRecord,
  type DataSourceRecord,
  type PageParent,
  type PropertySchema,
} from './model';
import { emptyValue, findProperty, hasPropertyId, normalizeProperties } from './properties';
import { compileSorts, listObject, pageSizeOf, paginate } from './query';
import { renderBlock, renderDataSource, renderPage } from './render';
import type { NotionStore } from './store';

function header(req: SandboxRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Authentication and version checks that Notion applies to every request. */
function guard(req: SandboxRequest): void {
  const token = header(req, 'authorization')?.match(/^Bearer\s+(\S+)$/)?.[1];
  if (!token || token === INVALID_NOTION_TOKEN || token.startsWith(`${INVALID_NOTION_TOKEN}-`)) {
    throw new NotionError(401, 'unauthorized', 'API token is invalid.');
  }
  const version = header(req, 'notion-version');
  if (version === undefined) {
    throw new NotionError(
      400,
      'missing_version',
      'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.',
    );
  }
  if (version !== NOTION_VERSION) {
    throw validation(
      `Notion-Version header failed validation: this API serves Notion-Version ${NOTION_VERSION}, instead was \`${version}\`.`,
    );
  }
  if (req.rawBody.length > MAX_BODY_BYTES)
    throw validation(
      `body failed validation: the request body must be at most ${MAX_BODY_BYTES} bytes, instead was ${req.rawBody.length}.`,
    );
}

function bodyOf(req: SandboxRequest): Record<string, unknown> {
  if (req.body === undefined) return {};
  if (!isRecord(req.body))
    throw new NotionError(400, 'invalid_json', 'Error parsing JSON body: the body must be a JSON object.');
  return req.body;
}

/** Page size and start cursor from the query string, as the GET list routes take them. */
function queryPage<T extends { id: string }>(req: SandboxRequest, items: T[]) {
  const pageSize = pageSizeOf(req.query.get('page_size') ?? undefined, 'query.page_size');
  return paginate(items, req.query.get('start_cursor') ?? undefined, pageSize, 'query.start_cursor');
}

export function registerNotionRoutes(router: SandboxRouter, store: NotionStore): void {
  router.setErrorShape('notion', (status, message) =>
    notionErrorBody(status, codeForStatus(status, message), message),
  );
  const route = (method: string, path: string, handler: (req: SandboxRequest) => SandboxResponse) =>
    router.add('notion', method, `/v1${path}`, (req) => {
      guard(req);
      return handler(req);
    });
  const block = (record: BlockRecord) => renderBlock(store, record);

  route('POST', '/data_sources/:id/query', (req) => {
    const dataSource = store.requireDataSource(req.params.id!);
    const body = bodyOf(req);
    const pageSize = pageSizeOf(body.page_size, 'body.page_size');
    const predicate =
      body.filter === undefined
        ? () => true
        : compileFilter(body.filter, dataSource.properties, store.today());
    const order = compileSorts(body.sorts, dataSource.properties, store.bySequence);
    if (body.in_trash !== undefined && typeof body.in_trash !== 'boolean')
      throw wrongType('body.in_trash', 'a boolean', body.in_trash);
    const wantTrash = body.in_trash === true;
    const rows = [...store.pagesById.values()]
      .filter(
        (p) =>
          p.parent.type === 'data_source_id' &&
          p.parent.data_source_id === dataSource.id &&
          p.inTrash === wantTrash,
      )
      .filter(predicate)
      .sort(order);
    const onlyIds = req.query.getAll('filter_properties');
    const only = onlyIds.length > 0 ? new Set(onlyIds) : undefined;
    const results = paginate(rows, body.start_cursor, pageSize, 'body.start_cursor');
    return ok(listObject(results, 'page_or_data_source', (p) => renderPage(store, p, only)));
  });

  route('GET', '/data_sources/:id', (req) =>
    ok(renderDataSource(store, store.requireDataSource(req.params.id!))),
  );

  route('POST', '/pages', (req) => {
    const body = bodyOf(req);
    const parent = body.parent;
    if (!isRecord(parent)) throw wrongType('body.parent', 'defined', parent);
    let pageParent: PageParent;
    let schema: readonly PropertySchema[];
    if (typeof parent.data_source_id === 'string' || typeof parent.database_id === 'string') {
      const dataSource: DataSourceRecord =
        typeof parent.data_source_id === 'string'
          ? store.requireDataSource(parent.data_source_id)
          : store.requireDatabase(parent.database_id as string);
      pageParent = {
        type: 'data_source_id',
        data_source_id: dataSource.id,
        database_id: dataSource.databaseId,
      };
      schema = dataSource.properties;
    } else if (typeof parent.page_id === 'string') {
      pageParent = { type: 'page_id', page_id: store.requirePage(parent.page_id).id };
      schema = PAGE_SCHEMA;
    } else {
      throw bodyInvalid('body.parent', 'should have one of data_source_id, database_id or page_id');
    }
    const properties = normalizeProperties(schema, body.properties, 'body.properties', store);
    const pending =
      body.children === undefined ? [] : validateChildren(body.children, 'body.children', 0, store);
    const created = store.createPageRecord(
      pageParent,
      properties,
      isRecord(body.icon) ? body.icon : null,
      store.botId,
    );
    if (pending.length > 0) store.insertBlocks(created.id, 'page_id', pending, 0);
    return ok(renderPage(store, created));
  });

  route('GET', '/pages/:id', (req) => ok(renderPage(store, store.requirePage(req.params.id!))));

  // A property's whole value: the lists (title, rich text, people, relation) page by page, with
  // no 25-reference limit; other types as one property item.
  route('GET', '/pages/:id/properties/:propertyId', (req) => {
    const page = store.requirePage(req.params.id!);
    const property = findProperty(store.schemaOf(page), req.params.propertyId!);
    if (!property || !hasPropertyId(property, new Set([req.params.propertyId!])))
      throw objectNotFound('property', req.params.propertyId!);
    const value = page.properties[property.name] ?? emptyValue(property);
    const item = (type: string, content: unknown) => ({
      object: 'property_item',
      id: property.id,
      type,
      [type]: content,
    });
    if (!['title', 'rich_text', 'people', 'relation'].includes(property.type))
      return ok(item(property.type, value[property.type]));
    const entries = (Array.isArray(value[property.type]) ? (value[property.type] as unknown[]) : []).map(
      (content, i) => ({ id: stableUuid(`${page.id}:${property.id}:${i}`), content }),
    );
    const listed = queryPage(req, entries);
    return ok({
      object: 'list',
      results: listed.results.map((e) => item(property.type, e.content)),
      next_cursor: listed.next_cursor,
      has_more: listed.has_more,
      type: 'property_item',
      property_item: { id: property.id, next_url: null, type: property.type, [property.type]: {} },
      request_id: randomUUID(),
    });
  });

  route('PATCH', '/pages/:id', (req) => {
    const record = store.requirePage(req.params.id!);
    const body = bodyOf(req);
    const trashFlag = body.in_trash ?? body.archived;
    if (trashFlag !== undefined && typeof trashFlag !== 'boolean')
      throw wrongType('body.in_trash', 'a boolean', trashFlag);
    const inTrash = trashFlag ?? record.inTrash;
    if (record.inTrash && inTrash && (body.properties !== undefined || body.icon !== undefined)) {
      throw validation("Can't edit page that is archived. You must unarchive the page before editing.");
    }
    const properties = normalizeProperties(store.schemaOf(record), body.properties, 'body.properties', store);
    Object.assign(record.properties, properties);
    if (body.icon !== undefined) record.icon = isRecord(body.icon) ? body.icon : null;
    record.inTrash = inTrash;
    store.touch(record);
    return ok(renderPage(store, record));
  });

  route('PATCH', '/blocks/:id/children', (req) => {
    const container = store.requireContainer(req.params.id!);
    if (container.inTrash)
      throw validation("Can't edit block that is archived. You must unarchive the block before editing.");
    if (container.block && !canHoldChildren(container.block.type, container.block.content)) {
      throw validation(`Block type ${container.block.type} does not support children.`);
    }
    const body = bodyOf(req);
    if (body.children === undefined) throw wrongType('body.children', 'defined', undefined);
    const depth = container.kind === 'page_id' ? 0 : 1;
    const pending = validateChildren(body.children, 'body.children', depth, store);
    const siblings = store.childIds.get(container.id) ?? [];
    let position = siblings.length;
    const placement = isRecord(body.position) ? body.position : undefined;
    const afterId =
      typeof body.after === 'string'
        ? body.after
        : placement?.type === 'after_block' && isRecord(placement.after_block)
          ? placement.after_block.id
          : undefined;
    if (afterId !== undefined) {
      const index = siblings.indexOf(idOf(afterId) ?? '');
      if (index < 0) throw validation(`Block ${shown(afterId)} is not a child of ${container.id}.`);
      position = index + 1;
    } else if (placement?.type === 'start') {
      position = 0;
    }
    const created = store.insertBlocks(container.id, container.kind, pending, position);
    const parentPage = store.pagesById.get(container.id);
    if (parentPage) store.touch(parentPage);
    return ok(listObject({ results: created, next_cursor: null, has_more: false }, 'block', block));
  });

  route('GET', '/blocks/:id/children', (req) => {
    const container = store.requireContainer(req.params.id!);
    return ok(listObject(queryPage(req, store.visibleChildren(container.id)), 'block', block));
  });

  // Deleting a block moves it (and so its children) to the trash, as Notion does.
  route('DELETE', '/blocks/:id', (req) => {
    const container = store.requireContainer(req.params.id!);
    if (!container.block || container.inTrash)
      throw new NotionError(
        404,
        'object_not_found',
        `Could not find block with ID: ${container.id}. Make sure the relevant pages and databases are shared with your integration.`,
      );
    container.block.inTrash = true;
    container.block.lastEditedTime = store.timestamp();
    return ok(block(container.block));
  });

  // Without the email capability, a person's `person` object comes back empty.
  route('GET', '/users', (req) =>
    ok(
      listObject(queryPage(req, store.workspaceUsers), 'user', (user) =>
        store.withholdEmails && user.person ? { ...user, person: {} } : user,
      ),
    ),
  );
}
