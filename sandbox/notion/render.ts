/** Notion's response shapes for pages, blocks and data sources. */
import {
  MAX_PAGE_REFERENCES,
  type BlockRecord,
  type DataSourceRecord,
  type PageRecord,
  type StoredValue,
} from './model';
import { emptyValue, hasPropertyId } from './properties';
import { richTextResponse, titleOf } from './rich-text';
import type { NotionStore } from './store';

/** When a record was created and last edited, and by whom, as every object carries it. */
function stamps(createdTime: string, lastEditedTime: string, createdBy: string, lastEditedBy: string) {
  return {
    created_time: createdTime,
    last_edited_time: lastEditedTime,
    created_by: { object: 'user', id: createdBy },
    last_edited_by: { object: 'user', id: lastEditedBy },
  };
}

function pageUrl(page: PageRecord): string {
  const slug = titleOf(page)
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  const hex = page.id.replace(/-/g, '');
  return `https://www.notion.so/${slug ? `${slug}-` : ''}${hex}`;
}

/**
 * People and relations as a page object shows them: the first 25 references, a relation flagged
 * `has_more` beyond that (the property endpoint pages through the rest).
 */
function withReferenceLimit(value: StoredValue): StoredValue {
  if (value.type === 'people' && Array.isArray(value.people) && value.people.length > MAX_PAGE_REFERENCES)
    return { ...value, people: value.people.slice(0, MAX_PAGE_REFERENCES) };
  if (value.type === 'relation' && Array.isArray(value.relation))
    return {
      ...value,
      relation: value.relation.slice(0, MAX_PAGE_REFERENCES),
      has_more: value.relation.length > MAX_PAGE_REFERENCES,
    };
  return value;
}

/** A page with every property of its schema (empty values included), or only those `onlyPropertyIds` names. */
export function renderPage(store: NotionStore, page: PageRecord, onlyPropertyIds?: Set<string>) {
  const properties: Record<string, unknown> = {};
  for (const property of store.schemaOf(page)) {
    if (onlyPropertyIds && !hasPropertyId(property, onlyPropertyIds)) continue;
    properties[property.name] = {
      id: property.id,
      ...withReferenceLimit(page.properties[property.name] ?? emptyValue(property)),
    };
  }
  return {
    object: 'page',
    id: page.id,
    ...stamps(page.createdTime, page.lastEditedTime, page.createdBy, page.lastEditedBy),
    cover: null,
    icon: page.icon,
    parent: page.parent,
    in_trash: page.inTrash,
    archived: page.inTrash,
    is_archived: false,
    is_locked: false,
    properties,
    url: pageUrl(page),
    public_url: null,
  };
}

export function renderBlock(store: NotionStore, block: BlockRecord) {
  return {
    object: 'block',
    id: block.id,
    parent: block.parent,
    ...stamps(block.createdTime, block.lastEditedTime, store.botId, store.botId),
    has_children: store.visibleChildren(block.id).length > 0,
    in_trash: block.inTrash,
    archived: block.inTrash,
    type: block.type,
    [block.type]: block.content,
  };
}

export function renderDataSource(store: NotionStore, dataSource: DataSourceRecord) {
  const properties: Record<string, unknown> = {};
  for (const property of dataSource.properties) {
    let config: unknown = {};
    if (property.type === 'select' || property.type === 'multi_select')
      config = { options: property.options ?? [] };
    if (property.type === 'status')
      config = { options: property.options ?? [], groups: property.groups ?? [] };
    if (property.type === 'number') config = { format: property.numberFormat ?? 'number' };
    if (property.type === 'relation') {
      config = {
        data_source_id: property.relatedDataSourceId ?? null,
        database_id: null,
        type: 'single_property',
        single_property: {},
      };
    }
    properties[property.name] = {
      id: property.id,
      name: property.name,
      description: null,
      type: property.type,
      [property.type]: config,
    };
  }
  return {
    object: 'data_source',
    id: dataSource.id,
    ...stamps(dataSource.createdTime, dataSource.lastEditedTime, store.botId, store.botId),
    title: [richTextResponse(dataSource.title)],
    description: [],
    icon: null,
    cover: null,
    properties,
    parent: { type: 'database_id', database_id: dataSource.databaseId },
    database_parent: { type: 'workspace', workspace: true },
    is_inline: false,
    in_trash: false,
    archived: false,
    url: `https://www.notion.so/${dataSource.databaseId.replace(/-/g, '')}`,
    public_url: null,
  };
}
