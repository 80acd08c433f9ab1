/**
 * Page property values: each request value checked against its property's type as Notion
 * checks it and stored in response form; the empty value of each type; and the values a person
 * types in the Notion app, which the store's simulation methods accept.
 */
import { VendorError, isRecord } from '../http';
import { validateDateValue } from './dates';
import { bodyInvalid, expectArray, expectObject, tooLong, validation, wrongType } from './errors';
import { idOf } from './ids';
import {
  MAX_EMAIL,
  MAX_OPTION_NAME,
  MAX_PHONE,
  MAX_URL,
  OPTION_COLORS,
  type PropertySchema,
  type SelectOption,
  type SimplePropertyInput,
  type StoredValue,
  type Workspace,
} from './model';
import { plainText, richTextResponse, validateRichTextArray } from './rich-text';
import { makeOption } from './schema';

const TEXT_LIMITS = { url: MAX_URL, email: MAX_EMAIL, phone_number: MAX_PHONE };

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Whether a property id (as stored, possibly URI-encoded) is the one a request names. */
export function hasPropertyId(property: PropertySchema, ids: Set<string>): boolean {
  return ids.has(property.id) || ids.has(decodeURIComponentSafe(property.id));
}

/** A property by name, else by id (encoded or not), as Notion resolves them in requests. */
export function findProperty(
  schema: readonly PropertySchema[],
  nameOrId: string,
): PropertySchema | undefined {
  return (
    schema.find((p) => p.name === nameOrId) ??
    schema.find((p) => p.id === nameOrId || decodeURIComponentSafe(p.id) === nameOrId)
  );
}

/**
 * The option a select, multi-select or status value names (by id or name). A new name adds an
 * option to a select or multi-select, as Notion does the first time a page uses it; a status
 * must be one of its options.
 */
function resolveOption(
  property: PropertySchema,
  value: unknown,
  path: string,
  createMissing: boolean,
): SelectOption {
  const ref = expectObject(value, path);
  const options = (property.options ??= []);
  if (typeof ref.id === 'string') {
    const byId = options.find((o) => o.id === ref.id);
    if (!byId)
      throw validation(`Invalid ${property.type} option id "${ref.id}" for property ${property.name}.`);
    return byId;
  }
  if (typeof ref.name !== 'string') throw wrongType(`${path}.name`, 'a string', ref.name);
  const name = ref.name.trim();
  if (name === '') throw bodyInvalid(`${path}.name`, 'should not be empty');
  const existing = options.find((o) => o.name === name);
  if (existing) return existing;
  if (!createMissing) {
    throw validation(
      `Invalid status option. Status option "${name}" does not exist for property ${property.name}.`,
    );
  }
  if (name.includes(',')) throw validation(`Invalid select option, commas not allowed: ${name}`);
  if (name.length > MAX_OPTION_NAME) throw tooLong(`${path}.name`, MAX_OPTION_NAME, name.length);
  const color =
    typeof ref.color === 'string' && (OPTION_COLORS as readonly string[]).includes(ref.color)
      ? ref.color
      : undefined;
  const option = makeOption(property, name, options.length, color);
  options.push(option);
  return option;
}

export function partialOption(option: SelectOption) {
  return { id: option.id, name: option.name, color: option.color };
}

/** Validates one property value from a create or update request and returns it as stored. */
export function normalizeValue(
  property: PropertySchema,
  raw: unknown,
  path: string,
  workspace: Workspace,
): StoredValue {
  const request = expectObject(raw, path);
  const declared = typeof request.type === 'string' ? request.type : undefined;
  if ((declared !== undefined && declared !== property.type) || !(property.type in request)) {
    throw validation(`${property.name} is expected to be ${property.type}.`);
  }
  const value = request[property.type];
  const at = `${path}.${property.type}`;
  switch (property.type) {
    case 'title':
    case 'rich_text':
      return { type: property.type, [property.type]: validateRichTextArray(value, at, workspace) };
    case 'number':
      if (value !== null && (typeof value !== 'number' || !Number.isFinite(value)))
        throw wrongType(at, 'a number or `null`', value);
      return { type: 'number', number: value };
    case 'checkbox':
      if (typeof value !== 'boolean') throw wrongType(at, 'a boolean', value);
      return { type: 'checkbox', checkbox: value };
    case 'url':
    case 'email':
    case 'phone_number': {
      const limit = TEXT_LIMITS[property.type];
      if (value !== null && typeof value !== 'string') throw wrongType(at, 'a string or `null`', value);
      if (typeof value === 'string' && value.length > limit) throw tooLong(at, limit, value.length);
      return { type: property.type, [property.type]: value === '' ? null : value };
    }
    case 'select':
    case 'status':
      return {
        type: property.type,
        [property.type]:
          value === null
            ? null
            : partialOption(resolveOption(property, value, at, property.type === 'select')),
      };
    case 'multi_select':
      return {
        type: 'multi_select',
        multi_select: expectArray(value, at).map((v, i) =>
          partialOption(resolveOption(property, v, `${at}[${i}]`, true)),
        ),
      };
    case 'date':
      if (value === null) return { type: 'date', date: null };
      if (!isRecord(value)) throw wrongType(at, 'an object or `null`', value);
      return { type: 'date', date: validateDateValue(value, at) };
    case 'people': {
      const people = expectArray(value, at).map((person, i) => {
        const user = workspace.findUser(isRecord(person) ? idOf(person.id) : undefined);
        if (!user)
          throw wrongType(`${at}[${i}].id`, 'a valid user id', isRecord(person) ? person.id : person);
        return { object: 'user', id: user.id };
      });
      return { type: 'people', people };
    }
    case 'relation': {
      const relation = expectArray(value, at).map((item, i) => {
        const target = workspace.findPage(isRecord(item) ? idOf(item.id) : undefined);
        const allowed =
          target &&
          (property.relatedDataSourceId === undefined ||
            (target.parent.type === 'data_source_id' &&
              target.parent.data_source_id === property.relatedDataSourceId));
        if (!target || !allowed)
          throw wrongType(
            `${at}[${i}].id`,
            'a page in the related data source',
            isRecord(item) ? item.id : item,
          );
        return { id: target.id };
      });
      return { type: 'relation', relation, has_more: false };
    }
  }
}

/** The value a page shows for a property it has no value for. */
export function emptyValue(property: PropertySchema): StoredValue {
  switch (property.type) {
    case 'title':
    case 'rich_text':
    case 'multi_select':
    case 'people':
      return { type: property.type, [property.type]: [] };
    case 'relation':
      return { type: 'relation', relation: [], has_more: false };
    case 'checkbox':
      return { type: 'checkbox', checkbox: false };
    default:
      return { type: property.type, [property.type]: null };
  }
}

/** A request's `properties` object, each named by name or id, checked against the schema. */
export function normalizeProperties(
  schema: readonly PropertySchema[],
  raw: unknown,
  path: string,
  workspace: Workspace,
): Record<string, StoredValue> {
  if (raw === undefined) return {};
  const out: Record<string, StoredValue> = {};
  for (const [key, value] of Object.entries(expectObject(raw, path))) {
    const property = findProperty(schema, key);
    if (!property) throw validation(`${key} is not a property that exists.`);
    out[property.name] = normalizeValue(property, value, `${path}.${key}`, workspace);
  }
  return out;
}

/** What a person types in the app, as the API's request value; people are named by their config id. */
function simpleToRequest(
  property: PropertySchema,
  value: SimplePropertyInput,
  userIdOf: (personId: string) => string | undefined,
): unknown {
  switch (property.type) {
    case 'title':
    case 'rich_text':
      return { [property.type]: typeof value === 'string' ? [{ text: { content: value } }] : value };
    case 'select':
    case 'status':
      return { [property.type]: typeof value === 'string' ? { name: value } : value };
    case 'multi_select':
      return { multi_select: Array.isArray(value) ? value.map((name) => ({ name })) : value };
    case 'date':
      return { date: typeof value === 'string' ? { start: value } : value };
    case 'people':
    case 'relation':
      return {
        [property.type]: Array.isArray(value)
          ? value.map((id: unknown) => ({ id: (typeof id === 'string' && userIdOf(id)) || id }))
          : value,
      };
    default:
      return { [property.type]: value };
  }
}

/** Applies what a person would type in the Notion app; the app is not bound by API text limits. */
export function appValue(
  property: PropertySchema,
  value: SimplePropertyInput,
  workspace: Workspace,
  userIdOf: (personId: string) => string | undefined,
): StoredValue {
  if ((property.type === 'title' || property.type === 'rich_text') && typeof value === 'string') {
    return { type: property.type, [property.type]: value === '' ? [] : [richTextResponse(value)] };
  }
  try {
    return normalizeValue(
      property,
      simpleToRequest(property, value, userIdOf),
      `properties.${property.name}`,
      workspace,
    );
  } catch (error) {
    if (error instanceof VendorError) {
      throw new Error(`Cannot set ${property.name}: ${(error.body as { message: string }).message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** A stored value as one plain JSON value, for the sandbox page. */
export function simpleValue(value: StoredValue): unknown {
  const inner = value[value.type];
  switch (value.type) {
    case 'title':
    case 'rich_text':
      return plainText(value);
    case 'select':
    case 'status':
      return (inner as { name: string } | null)?.name ?? null;
    case 'multi_select':
      return (inner as { name: string }[]).map((o) => o.name);
    case 'people':
    case 'relation':
      return (inner as { id: string }[]).map((o) => o.id);
    case 'date': {
      const date = inner as { start: string; end: string | null } | null;
      return date ? (date.end ? `${date.start} → ${date.end}` : date.start) : null;
    }
    default:
      return inner;
  }
}
