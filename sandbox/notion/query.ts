/**
 * Ordering and paging of lists: query sorts (by property or timestamp, empty values last), page
 * sizes, start cursors, and the list object Notion wraps results in.
 */
import { randomUUID } from 'node:crypto';
import { bodyInvalid, expectArray, expectObject, validation, wrongType } from './errors';
import { normalizeNotionId } from './ids';
import { MAX_ARRAY, type PageRecord, type PropertySchema } from './model';
import { emptyValue, findProperty } from './properties';
import { plainText } from './rich-text';

type PageOrder = (a: PageRecord, b: PageRecord) => number;

function compareSortValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return String(a).localeCompare(String(b));
}

function sortKey(page: PageRecord, property: PropertySchema): unknown {
  const value = page.properties[property.name] ?? emptyValue(property);
  switch (property.type) {
    case 'number':
      return value.number;
    case 'checkbox':
      return value.checkbox;
    case 'date':
      return (value.date as { start: string } | null)?.start ?? null;
    case 'select':
    case 'status': {
      // Notion orders select and status values by the option order in the schema.
      const name = (value[property.type] as { name: string } | null)?.name;
      const index = property.options?.findIndex((o) => o.name === name) ?? -1;
      return index < 0 ? null : index;
    }
    case 'multi_select':
    case 'people':
    case 'relation':
      return (value[property.type] as unknown[]).length || null;
    default:
      return plainText(value);
  }
}

const isEmptyKey = (key: unknown) => key === null || key === '';

/**
 * A query's `sorts` as one comparator; `bySequence` (insertion order) breaks ties. Without sorts
 * Notion lists the newest rows first.
 */
export function compileSorts(
  sorts: unknown,
  schema: readonly PropertySchema[],
  bySequence: PageOrder,
): PageOrder {
  if (sorts === undefined) return (a, b) => b.createdTime.localeCompare(a.createdTime) || -bySequence(a, b);
  const comparators = expectArray(sorts, 'body.sorts').map((raw, i): PageOrder => {
    const path = `body.sorts[${i}]`;
    const sort = expectObject(raw, path);
    if (sort.direction !== 'ascending' && sort.direction !== 'descending')
      throw wrongType(`${path}.direction`, 'one of ascending, descending', sort.direction);
    const sign = sort.direction === 'ascending' ? 1 : -1;
    if (typeof sort.timestamp === 'string') {
      if (sort.timestamp !== 'created_time' && sort.timestamp !== 'last_edited_time')
        throw wrongType(`${path}.timestamp`, 'one of created_time, last_edited_time', sort.timestamp);
      const field = sort.timestamp === 'created_time' ? 'createdTime' : 'lastEditedTime';
      return (a, b) => sign * (a[field].localeCompare(b[field]) || bySequence(a, b));
    }
    if (typeof sort.property !== 'string') throw wrongType(`${path}.property`, 'defined', sort.property);
    const property = findProperty(schema, sort.property);
    if (!property) throw validation(`Could not find sort property with name or id: ${sort.property}`);
    return (a, b) => {
      const ka = sortKey(a, property);
      const kb = sortKey(b, property);
      // Empty values stay at the end whichever the direction.
      if (isEmptyKey(ka)) return isEmptyKey(kb) ? 0 : 1;
      if (isEmptyKey(kb)) return -1;
      return sign * compareSortValues(ka, kb);
    };
  });
  return (a, b) => {
    for (const compare of comparators) {
      const result = compare(a, b);
      if (result !== 0) return result;
    }
    return bySequence(a, b);
  };
}

/** `page_size` from a body (a number) or a query string (digits): 1 to 100, 100 when absent. */
export function pageSizeOf(raw: unknown, path: string): number {
  if (raw === undefined) return MAX_ARRAY;
  const size = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof size !== 'number' || !Number.isInteger(size)) throw wrongType(path, 'an integer', raw);
  if (size > MAX_ARRAY) throw bodyInvalid(path, `should be ≤ \`${MAX_ARRAY}\`, instead was \`${size}\``);
  if (size < 1) throw bodyInvalid(path, `should be ≥ \`1\`, instead was \`${size}\``);
  return size;
}

export interface Page<T> {
  results: T[];
  next_cursor: string | null;
  has_more: boolean;
}

/** One page of `items` from the item whose id is the cursor. */
export function paginate<T extends { id: string }>(
  items: T[],
  cursor: unknown,
  pageSize: number,
  cursorPath: string,
): Page<T> {
  let start = 0;
  if (cursor !== undefined && cursor !== null) {
    if (typeof cursor !== 'string') throw wrongType(cursorPath, 'a string', cursor);
    const id = normalizeNotionId(cursor);
    start = id ? items.findIndex((item) => item.id === id) : -1;
    if (start < 0) throw validation(`The start_cursor provided is invalid: ${cursor}`);
  }
  const slice = items.slice(start, start + pageSize);
  const next = items[start + pageSize];
  return { results: slice, next_cursor: next ? next.id : null, has_more: next !== undefined };
}

/** Notion's list object around a page of results of one type (`block`, `user`, `page_or_data_source`). */
export function listObject<T>(page: Page<T>, type: string, render: (item: T) => unknown = (item) => item) {
  return {
    object: 'list',
    results: page.results.map(render),
    next_cursor: page.next_cursor,
    has_more: page.has_more,
    type,
    [type]: {},
    request_id: randomUUID(),
  };
}
