/**
 * The Notion stand-in's state: data sources seeded from `integrations.notion.dataSources`, pages,
 * blocks and the workspace's users (every person of the organisation, and the prodops bot). Its
 * public methods also let tests and demos act as a person in the Notion app.
 */
import { randomUUID } from 'node:crypto';
import { refill, savedNumber } from '../persist';
import type { OrgConfig } from '../../domain/config';
import type { PendingBlock } from './blocks';
import { objectNotFound } from './errors';
import { normalizeNotionId, pathId, shortId, stableUuid } from './ids';
import {
  PAGE_SCHEMA,
  type BlockRecord,
  type DataSourceRecord,
  type NotionUser,
  type PageParent,
  type PageRecord,
  type PropertySchema,
  type SimplePropertyInput,
  type StoredValue,
  type Workspace,
} from './model';
import { appValue, findProperty, partialOption, simpleValue } from './properties';
import { renderBlock, renderPage } from './render';
import { plainText, titleOf } from './rich-text';
import { SEEDED_DATA_SOURCES, seedDataSource } from './schema';
import { NOTION_KEY_PROPERTY } from '../../contracts/stamps';

type DataSourceKind = keyof OrgConfig['integrations']['notion']['dataSources'];

/** A page, or a block that may hold children. */
export interface Container {
  id: string;
  kind: 'page_id' | 'block_id';
  inTrash: boolean;
  block?: BlockRecord;
}

/** A record the request named, or Notion's 404 for it. */
function found<T>(record: T | undefined, kind: string, id: string): T {
  if (!record) throw objectNotFound(kind, id);
  return record;
}

export class NotionStore implements Workspace {
  readonly botId = stableUuid('notion-bot:prodops');
  readonly dataSourcesById = new Map<string, DataSourceRecord>();
  readonly pagesById = new Map<string, PageRecord>();
  readonly blocksById = new Map<string, BlockRecord>();
  /** Ordered child block ids of every page and block. */
  readonly childIds = new Map<string, string[]>();
  readonly workspaceUsers: NotionUser[] = [];
  /** Insertion order, the tie-breaker for equal (minute-rounded) timestamps. */
  private readonly sequence = new Map<string, number>();
  private nextSequence = 0;

  constructor(
    private readonly config: OrgConfig,
    readonly now: () => number,
    /** Whether users are listed without their emails (no email capability). */
    readonly withholdEmails = false,
  ) {
    this.reset();
  }

  /** Everything a restart must keep. */
  exportState(): Record<string, unknown> {
    return {
      dataSources: this.dataSourcesById,
      pages: this.pagesById,
      blocks: this.blocksById,
      childIds: this.childIds,
      users: this.workspaceUsers,
      sequence: this.sequence,
      nextSequence: this.nextSequence,
    };
  }

  importState(state: Record<string, unknown>): void {
    refill(this.dataSourcesById, state.dataSources);
    refill(this.pagesById, state.pages);
    refill(this.blocksById, state.blocks);
    refill(this.childIds, state.childIds);
    refill(this.workspaceUsers, state.users);
    refill(this.sequence, state.sequence);
    this.nextSequence = savedNumber(state, 'nextSequence');
  }

  /** Back to the seeded state: the configured data sources, empty, and the workspace's users. */
  reset(): void {
    for (const map of [this.dataSourcesById, this.pagesById, this.blocksById, this.childIds, this.sequence])
      map.clear();
    this.nextSequence = 0;
    this.workspaceUsers.length = 0;
    for (const person of this.config.people) {
      this.workspaceUsers.push({
        object: 'user',
        id: this.userIdFor(person.id),
        name: person.name,
        avatar_url: null,
        type: 'person',
        person: { email: person.email },
      });
    }
    this.workspaceUsers.push({
      object: 'user',
      id: this.botId,
      name: 'prodops',
      avatar_url: null,
      type: 'bot',
      bot: { owner: { type: 'workspace', workspace: true }, workspace_name: this.config.organisation.name },
    });
    const configured = this.config.integrations.notion.dataSources as Record<string, string | undefined>;
    for (const [kind, spec] of Object.entries(SEEDED_DATA_SOURCES)) {
      const raw = configured[kind];
      const id = raw === undefined ? undefined : normalizeNotionId(raw);
      // An id Notion could not parse is not seeded: requests naming it fail as they would for real.
      if (!id) continue;
      this.dataSourcesById.set(id, seedDataSource(id, kind, spec, this.timestamp()));
    }
  }

  /** Notion reports page and block timestamps rounded down to the minute. */
  timestamp(): string {
    return new Date(Math.floor(this.now() / 60_000) * 60_000).toISOString();
  }

  /** Today's date (UTC), for relative date filters. */
  today(): string {
    return new Date(this.now()).toISOString().slice(0, 10);
  }

  /** Orders records by when they were added. */
  readonly bySequence = (a: { id: string }, b: { id: string }): number =>
    (this.sequence.get(a.id) ?? 0) - (this.sequence.get(b.id) ?? 0);

  private track(id: string): void {
    this.sequence.set(id, this.nextSequence++);
  }

  // ---- look-ups ----------------------------------------------------------------------------

  findUser(id: string | undefined): NotionUser | undefined {
    return this.workspaceUsers.find((u) => u.id === id);
  }

  findPage(id: string | undefined): PageRecord | undefined {
    return id ? this.pagesById.get(id) : undefined;
  }

  /** A data source by path id, or Notion's 404. */
  requireDataSource(rawId: string): DataSourceRecord {
    const id = pathId(rawId, 'data_source_id');
    return found(this.dataSourcesById.get(id), 'data_source', id);
  }

  /** The data source of a database, as a page parent may name it (`database_id`), or Notion's 404. */
  requireDatabase(rawId: string): DataSourceRecord {
    const id = pathId(rawId, 'database_id');
    return found(
      [...this.dataSourcesById.values()].find((d) => d.databaseId === id),
      'database',
      id,
    );
  }

  requirePage(rawId: string): PageRecord {
    const id = pathId(rawId, 'page_id');
    return found(this.pagesById.get(id), 'page', id);
  }

  /** A page or a block by id, as block routes take either, or Notion's 404. */
  requireContainer(rawId: string): Container {
    const id = pathId(rawId, 'block_id');
    const page = this.pagesById.get(id);
    if (page) return { id, kind: 'page_id', inTrash: page.inTrash };
    const block = this.blocksById.get(id);
    if (block) return { id, kind: 'block_id', inTrash: block.inTrash, block };
    throw objectNotFound('block', id);
  }

  schemaOf(page: PageRecord): readonly PropertySchema[] {
    if (page.parent.type === 'data_source_id')
      return this.dataSourcesById.get(page.parent.data_source_id)?.properties ?? [];
    return PAGE_SCHEMA;
  }

  /** The children of a page or block that are not in the trash, in order. */
  visibleChildren(id: string): BlockRecord[] {
    return (this.childIds.get(id) ?? [])
      .map((child) => this.blocksById.get(child)!)
      .filter((b) => !b.inTrash);
  }

  // ---- changes -----------------------------------------------------------------------------

  createPageRecord(
    parent: PageParent,
    properties: Record<string, StoredValue>,
    icon: unknown,
    by: string,
  ): PageRecord {
    const created = this.timestamp();
    const page: PageRecord = {
      id: randomUUID(),
      parent,
      properties,
      icon,
      createdTime: created,
      lastEditedTime: created,
      inTrash: false,
      createdBy: by,
      lastEditedBy: by,
    };
    if (parent.type === 'data_source_id') {
      // Like Notion, a new row starts at its status property's first option when none is given.
      for (const property of this.dataSourcesById.get(parent.data_source_id)?.properties ?? []) {
        const first = property.options?.[0];
        if (property.type === 'status' && !(property.name in properties) && first) {
          properties[property.name] = { type: 'status', status: partialOption(first) };
        }
      }
    }
    this.pagesById.set(page.id, page);
    this.track(page.id);
    return page;
  }

  touch(page: PageRecord, by = this.botId): void {
    page.lastEditedTime = this.timestamp();
    page.lastEditedBy = by;
  }

  /** Stores checked blocks (and their children) under a page or block, from `position` on. */
  insertBlocks(
    parentId: string,
    parentKind: 'page_id' | 'block_id',
    pending: PendingBlock[],
    position: number,
  ): BlockRecord[] {
    const list = this.childIds.get(parentId) ?? [];
    const created: BlockRecord[] = [];
    const at = this.timestamp();
    for (const block of pending) {
      const id = randomUUID();
      const record: BlockRecord = {
        id,
        parent:
          parentKind === 'page_id'
            ? { type: 'page_id', page_id: parentId }
            : { type: 'block_id', block_id: parentId },
        type: block.type,
        content: block.content,
        createdTime: at,
        lastEditedTime: at,
        inTrash: false,
      };
      this.blocksById.set(id, record);
      this.track(id);
      created.push(record);
      if (block.children.length > 0) this.insertBlocks(id, 'block_id', block.children, 0);
    }
    list.splice(position, 0, ...created.map((b) => b.id));
    this.childIds.set(parentId, list);
    return created;
  }

  // ---- for tests and demos: what a person sees and does in the Notion app ------------------

  /** The data source seeded for a config entry such as `enablementBundles`. */
  dataSourceId(kind: DataSourceKind): string {
    const found = [...this.dataSourcesById.values()].find((d) => d.kind === kind);
    if (!found) throw new Error(`No Notion data source is configured for ${kind}`);
    return found.id;
  }

  dataSource(id: string): DataSourceRecord | undefined {
    const normalized = normalizeNotionId(id);
    return normalized ? this.dataSourcesById.get(normalized) : undefined;
  }

  /** The Notion user id of a person in the configuration. */
  /** A person's Notion user id: the configured `notionUserId`, else a stable one. */
  userIdFor(personId: string): string {
    const configured = this.config.people.find((p) => p.id === personId)?.notionUserId;
    return (configured && normalizeNotionId(configured)) || stableUuid(`notion-user:${personId}`);
  }

  users(): NotionUser[] {
    return this.workspaceUsers.map((u) => ({ ...u }));
  }

  /** A page as the API would return it, or undefined. */
  page(id: string) {
    const page = this.findPage(normalizeNotionId(id));
    return page ? renderPage(this, page) : undefined;
  }

  /** Every page of a data source (trashed ones included), oldest first. */
  pages(dataSourceId?: string) {
    const wanted = dataSourceId === undefined ? undefined : normalizeNotionId(dataSourceId);
    return [...this.pagesById.values()]
      .filter(
        (p) =>
          wanted === undefined || (p.parent.type === 'data_source_id' && p.parent.data_source_id === wanted),
      )
      .sort(this.bySequence)
      .map((p) => renderPage(this, p));
  }

  /** The top-level blocks of a page as the API would list them. */
  blocks(pageId: string) {
    const id = normalizeNotionId(pageId);
    return id ? this.visibleChildren(id).map((b) => renderBlock(this, b)) : [];
  }

  /** The plain text of a page's top-level blocks, one entry per block. */
  blockTexts(pageId: string): string[] {
    return this.blocks(pageId).map((b) => {
      const content = (b as Record<string, unknown>)[b.type] as
        { rich_text?: { plain_text: string }[] } | undefined;
      return (content?.rich_text ?? []).map((t) => t.plain_text).join('');
    });
  }

  /** Simulates a person editing one property of a page in the Notion app. */
  setProperty(pageId: string, name: string, value: SimplePropertyInput, editedByPersonId?: string): void {
    const page = this.findPage(normalizeNotionId(pageId));
    if (!page) throw new Error(`No page ${pageId}`);
    const property = findProperty(this.schemaOf(page), name);
    if (!property) throw new Error(`${name} is not a property of page ${pageId}`);
    page.properties[property.name] = this.appValue(property, value);
    this.touch(page, editedByPersonId ? this.userIdFor(editedByPersonId) : this.botId);
  }

  /** Simulates a person adding a row to a data source in the Notion app; returns its id. */
  addPage(
    dataSourceId: string,
    properties: Record<string, SimplePropertyInput>,
    createdByPersonId?: string,
  ): string {
    const dataSource = this.dataSource(dataSourceId);
    if (!dataSource) throw new Error(`No data source ${dataSourceId}`);
    const stored: Record<string, StoredValue> = {};
    for (const [name, value] of Object.entries(properties)) {
      const property = findProperty(dataSource.properties, name);
      if (!property) throw new Error(`${name} is not a property of ${dataSource.title}`);
      stored[property.name] = this.appValue(property, value);
    }
    const by = createdByPersonId ? this.userIdFor(createdByPersonId) : this.botId;
    const parent: PageParent = {
      type: 'data_source_id',
      data_source_id: dataSource.id,
      database_id: dataSource.databaseId,
    };
    return this.createPageRecord(parent, stored, null, by).id;
  }

  /** Simulates a person adding a relation property to a data source in the Notion app. */
  addRelationProperty(dataSourceId: string, name: string, relatedDataSourceId: string): void {
    const dataSource = this.dataSource(dataSourceId);
    if (!dataSource) throw new Error(`No data source ${dataSourceId}`);
    if (findProperty(dataSource.properties, name)) throw new Error(`${dataSource.title} already has ${name}`);
    dataSource.properties.push({
      id: shortId(`${dataSource.id}:${name}`),
      name,
      type: 'relation',
      relatedDataSourceId: normalizeNotionId(relatedDataSourceId),
    });
  }

  /** Simulates a person moving a page to the trash (or restoring it). */
  trashPage(pageId: string, inTrash = true): void {
    const page = this.findPage(normalizeNotionId(pageId));
    if (!page) throw new Error(`No page ${pageId}`);
    page.inTrash = inTrash;
    this.touch(page);
  }

  /** A value as typed in the app; a person is named by their id in the configuration. */
  private appValue(property: PropertySchema, value: SimplePropertyInput): StoredValue {
    return appValue(property, value, this, (personId) =>
      this.config.people.some((p) => p.id === personId) ? this.userIdFor(personId) : undefined,
    );
  }

  /** Data sources, pages, blocks and users as the sandbox page lists them. */
  snapshot(): Record<string, unknown[]> {
    const kindOf = (page: PageRecord) =>
      page.parent.type === 'data_source_id'
        ? (this.dataSourcesById.get(page.parent.data_source_id)?.title ?? '')
        : 'page';
    const status = (page: PageRecord) => {
      const value = Object.values(page.properties).find((v) => v.type === 'status');
      return (value?.status as { name: string } | null | undefined)?.name ?? null;
    };
    const key = (page: PageRecord) => {
      const value = page.properties[NOTION_KEY_PROPERTY];
      return value ? plainText(value) : '';
    };
    return {
      dataSources: [...this.dataSourcesById.values()].map((d) => ({
        id: d.id,
        kind: d.kind,
        title: d.title,
        properties: d.properties.map((p) => `${p.name} (${p.type})`).join(', '),
      })),
      pages: [...this.pagesById.values()].map((p) => ({
        id: p.id,
        dataSource: kindOf(p),
        title: titleOf(p),
        key: key(p),
        status: status(p),
        inTrash: p.inTrash,
        lastEdited: p.lastEditedTime,
        properties: Object.fromEntries(
          Object.entries(p.properties).map(([name, value]) => [name, simpleValue(value)]),
        ),
      })),
      blocks: [...this.blocksById.values()].map((b) => ({
        id: b.id,
        parent: b.parent.type === 'page_id' ? b.parent.page_id : b.parent.block_id,
        type: b.type,
        text: Array.isArray(b.content.rich_text)
          ? (b.content.rich_text as { plain_text: string }[]).map((t) => t.plain_text).join('')
          : '',
      })),
      users: this.workspaceUsers.map((u) => ({
        id: u.id,
        name: u.name,
        type: u.type,
        email: u.person?.email ?? null,
      })),
    };
  }
}
