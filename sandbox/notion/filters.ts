/**
 * Data source query filters, driven by one table: each property type lists the conditions Notion
 * accepts for it, in the order Notion's errors list them, and each condition reads its operand
 * (refusing a wrong one in Notion's words) and gives the test a page's value must pass.
 * Compound filters (`and`/`or`, two levels at most) and timestamp filters sit on top.
 */
import { isRecord } from '../http';
import { addDays, addMonths, compareDate, resolveRelativeDate, weekOf } from './dates';
import { bodyInvalid, expectArray, expectObject, shown, validation, wrongType } from './errors';
import { normalizeNotionId } from './ids';
import type { NotionPropertyType, PageRecord, PropertySchema, StoredValue } from './model';
import { emptyValue, findProperty } from './properties';
import { plainText } from './rich-text';

type Test<V> = (value: V) => boolean;
/** Reads a condition's operand (at `path`), checking it as Notion does, and returns the test it makes. */
type Condition<V> = (operand: unknown, path: string, today: string) => Test<V>;
/** The conditions of a type by name; the key order is the order Notion's errors list them in. */
type Conditions<V> = Record<string, Condition<V>>;

// ---- operands --------------------------------------------------------------------------------

/** A condition whose operand must be of one kind: `read` checks it, `test` builds the test from it. */
const withOperand =
  <T>(read: (operand: unknown, path: string, today: string) => T) =>
  <V>(test: (operand: T) => Test<V>): Condition<V> =>
  (operand, path, today) =>
    test(read(operand, path, today));

const string = withOperand((operand, path) => {
  if (typeof operand !== 'string') throw wrongType(path, 'a string', operand);
  return operand;
});
const number = withOperand((operand, path) => {
  if (typeof operand !== 'number') throw wrongType(path, 'a number', operand);
  return operand;
});
const boolean = withOperand((operand, path) => {
  if (typeof operand !== 'boolean') throw wrongType(path, 'a boolean', operand);
  return operand;
});
/** Option names: one, or several (a value matches any of them). */
const names = withOperand((operand, path) => {
  if (typeof operand === 'string') return [operand];
  if (Array.isArray(operand) && operand.every((o): o is string => typeof o === 'string')) return operand;
  throw wrongType(path, 'a string or an array of strings', operand);
});
/** A user or page id, compared in its dashed form. */
const uuid = withOperand((operand, path) => {
  if (typeof operand !== 'string') throw wrongType(path, 'a string', operand);
  const id = normalizeNotionId(operand);
  if (id === undefined) throw wrongType(path, 'a valid uuid', operand);
  return id;
});
/** An ISO date, or a relative date (`today`, `one_week_ago` …) resolved against today. */
const date = withOperand((operand, path, today) => {
  const target = resolveRelativeDate(operand, today);
  if (target === undefined) throw wrongType(path, 'a valid ISO 8601 date string or relative date', operand);
  return target;
});
/** An empty object: the operand of the windows relative to today (`past_week` …). */
const nothing = withOperand((operand, path, today) => {
  if (!isRecord(operand) || Object.keys(operand).length > 0)
    throw bodyInvalid(path, 'should be an empty object');
  return today;
});
/** Dates from the window's first day to its last, both included. */
const window = (range: (today: string) => [string, string]) =>
  nothing<string | null>((today) => {
    const [from, to] = range(today);
    return (v) => v !== null && compareDate(v, from) >= 0 && compareDate(v, to) <= 0;
  });
/** `is_empty` / `is_not_empty`, whose operand must be `true`. */
const emptiness = <V>(test: Test<V>): Condition<V> =>
  withOperand((operand, path) => {
    if (operand !== true) throw wrongType(path, '`true`', operand);
    return operand;
  })(() => test);

// ---- conditions by kind of value -------------------------------------------------------------

const TEXT: Conditions<string> = {
  equals: string((s) => (v) => v === s),
  does_not_equal: string((s) => (v) => v !== s),
  contains: string((s) => (v) => v.toLowerCase().includes(s.toLowerCase())),
  does_not_contain: string((s) => (v) => !v.toLowerCase().includes(s.toLowerCase())),
  starts_with: string((s) => (v) => v.toLowerCase().startsWith(s.toLowerCase())),
  ends_with: string((s) => (v) => v.toLowerCase().endsWith(s.toLowerCase())),
  is_empty: emptiness((v) => v === ''),
  is_not_empty: emptiness((v) => v !== ''),
};

/** A comparison that an empty number never passes. */
const compared = (passes: (v: number, n: number) => boolean) =>
  number<number | null>((n) => (v) => v !== null && passes(v, n));

const NUMBER: Conditions<number | null> = {
  equals: compared((v, n) => v === n),
  does_not_equal: number((n) => (v) => v === null || v !== n),
  greater_than: compared((v, n) => v > n),
  less_than: compared((v, n) => v < n),
  greater_than_or_equal_to: compared((v, n) => v >= n),
  less_than_or_equal_to: compared((v, n) => v <= n),
  is_empty: emptiness((v) => v === null),
  is_not_empty: emptiness((v) => v !== null),
};

const CHECKBOX: Conditions<boolean> = {
  equals: boolean((b) => (v) => v === b),
  does_not_equal: boolean((b) => (v) => v !== b),
};

/** A select or status value: its option's name, or null. */
const OPTION: Conditions<string | null> = {
  equals: names((n) => (v) => v !== null && n.includes(v)),
  does_not_equal: names((n) => (v) => v === null || !n.includes(v)),
  is_empty: emptiness((v) => v === null),
  is_not_empty: emptiness((v) => v !== null),
};

/** A list value (multi-select names, people or page ids), matched by one member. */
const list = (member: typeof string): Conditions<string[]> => ({
  contains: member((m) => (v) => v.includes(m)),
  does_not_contain: member((m) => (v) => !v.includes(m)),
  is_empty: emptiness((v) => v.length === 0),
  is_not_empty: emptiness((v) => v.length > 0),
});

/** A date value (a range's start), or null; a date without a time compares by calendar day. */
const compareWith = (passes: (order: number) => boolean) =>
  date<string | null>((target) => (v) => v !== null && passes(compareDate(v, target)));

const DATE: Conditions<string | null> = {
  equals: compareWith((c) => c === 0),
  before: compareWith((c) => c < 0),
  after: compareWith((c) => c > 0),
  on_or_before: compareWith((c) => c <= 0),
  on_or_after: compareWith((c) => c >= 0),
  is_empty: emptiness((v) => v === null),
  is_not_empty: emptiness((v) => v !== null),
  past_week: window((today) => [addDays(today, -7), today]),
  past_month: window((today) => [addMonths(today, -1), today]),
  past_year: window((today) => [addMonths(today, -12), today]),
  this_week: window(weekOf),
  next_week: window((today) => [today, addDays(today, 7)]),
  next_month: window((today) => [today, addMonths(today, 1)]),
  next_year: window((today) => [today, addMonths(today, 12)]),
};

// ---- the table ---------------------------------------------------------------------------------

/** The filter of one property type: its conditions, and how to read the value they test from a page. */
interface PropertyFilter {
  /** The conditions Notion accepts, in the order its errors list them. */
  readonly conditions: readonly string[];
  compile(
    condition: unknown,
    path: string,
    today: string,
  ): (value: StoredValue, property: PropertySchema) => boolean;
}

const filterOf = <V>(
  conditions: Conditions<V>,
  read: (value: StoredValue, property: PropertySchema) => V,
): PropertyFilter => ({
  conditions: Object.keys(conditions),
  compile(condition, path, today) {
    const test = compileCondition(conditions, condition, path, today);
    return (value, property) => test(read(value, property));
  },
});

const text = filterOf(TEXT, plainText);
const option = filterOf(
  OPTION,
  (value, property) => (value[property.type] as { name: string } | null)?.name ?? null,
);
const ids = filterOf(list(uuid), (value, property) =>
  (value[property.type] as { id: string }[]).map((o) => o.id),
);

const PROPERTY_FILTERS: Record<NotionPropertyType, PropertyFilter> = {
  title: text,
  rich_text: text,
  url: text,
  email: text,
  phone_number: text,
  number: filterOf(NUMBER, (value) => value.number as number | null),
  checkbox: filterOf(CHECKBOX, (value) => value.checkbox === true),
  select: option,
  status: option,
  multi_select: filterOf(list(string), (value) =>
    (value.multi_select as { name: string }[]).map((o) => o.name),
  ),
  people: ids,
  relation: ids,
  // Notion's date filters look at a range's start only.
  date: filterOf(DATE, (value) => (value.date as { start: string } | null)?.start ?? null),
};

/** The filter conditions Notion accepts for each property type, in the order its errors list them. */
export const FILTER_CONDITIONS = Object.fromEntries(
  Object.entries(PROPERTY_FILTERS).map(([type, { conditions }]) => [type, conditions]),
) as Record<NotionPropertyType, readonly string[]>;

/** The one condition of a filter object (`{ equals: 'x' }`), compiled from the type's conditions. */
function compileCondition<V>(
  conditions: Conditions<V>,
  condition: unknown,
  path: string,
  today: string,
): Test<V> {
  const given = Object.keys(expectObject(condition, path));
  const op = given[0];
  if (given.length !== 1 || op === undefined || !Object.hasOwn(conditions, op)) {
    throw bodyInvalid(
      path,
      `should have exactly one of ${Object.keys(conditions).join(', ')}, instead had \`${shown(given)}\``,
    );
  }
  return conditions[op]!((condition as Record<string, unknown>)[op], `${path}.${op}`, today);
}

// ---- compiling a query's filter ----------------------------------------------------------------

export type PagePredicate = (page: PageRecord) => boolean;

/** A query's `filter` as a predicate over the data source's pages; `today` anchors relative dates. */
export function compileFilter(
  filter: unknown,
  schema: readonly PropertySchema[],
  today: string,
): PagePredicate {
  return compileNode(filter, 'body.filter', 0, schema, today);
}

function compileNode(
  raw: unknown,
  path: string,
  depth: number,
  schema: readonly PropertySchema[],
  today: string,
): PagePredicate {
  const node = expectObject(raw, path);
  for (const op of ['and', 'or'] as const) {
    if (op in node) {
      if (depth >= 2)
        throw bodyInvalid(
          `${path}.${op}`,
          'should be not present (compound filters nest at most two levels)',
        );
      const parts = expectArray(node[op], `${path}.${op}`).map((f, i) =>
        compileNode(f, `${path}.${op}[${i}]`, depth + 1, schema, today),
      );
      return op === 'and' ? (page) => parts.every((p) => p(page)) : (page) => parts.some((p) => p(page));
    }
  }
  if (typeof node.timestamp === 'string') {
    const field = node.timestamp;
    if (field !== 'created_time' && field !== 'last_edited_time')
      throw wrongType(`${path}.timestamp`, 'one of created_time, last_edited_time', field);
    const test = compileCondition(DATE, node[field], `${path}.${field}`, today);
    return (page) => test(field === 'created_time' ? page.createdTime : page.lastEditedTime);
  }
  if (typeof node.property !== 'string') throw wrongType(`${path}.property`, 'defined', node.property);
  return compilePropertyFilter(node, node.property, path, schema, today);
}

function compilePropertyFilter(
  node: Record<string, unknown>,
  name: string,
  path: string,
  schema: readonly PropertySchema[],
  today: string,
): PagePredicate {
  const property = findProperty(schema, name);
  if (!property) throw validation(`Could not find property with name or id: ${name}`);
  const keys = Object.keys(node).filter((k) => k !== 'property' && k !== 'type');
  const kind = typeof node.type === 'string' ? node.type : keys[0];
  if (kind === undefined || keys.length !== 1 || keys[0] !== kind)
    throw bodyInvalid(path, 'should have exactly one filter condition');
  if (kind !== property.type)
    throw validation(`database property ${property.type} does not match filter ${kind}`);
  const test = PROPERTY_FILTERS[property.type].compile(node[kind], `${path}.${kind}`, today);
  return (page) => test(page.properties[property.name] ?? emptyValue(property), property);
}
