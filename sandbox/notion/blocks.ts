/**
 * Blocks in requests: the supported block types, checked as Notion checks them (at most two
 * levels of nesting, 100 children per array, 1,000 blocks per request) before any is stored.
 */
import { isRecord } from '../http';
import { bodyInvalid, expectArray, expectObject, shown, validation, wrongType } from './errors';
import { API_COLORS, MAX_BLOCKS_PER_REQUEST, type Workspace } from './model';
import { validateRichTextArray } from './rich-text';

/** Block types that may hold children (headings too, when toggleable). */
const PARENT_BLOCK_TYPES = new Set([
  'paragraph',
  'bulleted_list_item',
  'numbered_list_item',
  'quote',
  'to_do',
  'toggle',
  'callout',
]);
/** The block types the sandbox takes: those with rich text, and dividers. */
const BLOCK_TYPES = new Set([
  ...PARENT_BLOCK_TYPES,
  'heading_1',
  'heading_2',
  'heading_3',
  'code',
  'divider',
]);

/** Whether a block of this type and content may have children. */
export function canHoldChildren(type: string, content: Record<string, unknown>): boolean {
  return PARENT_BLOCK_TYPES.has(type) || content.is_toggleable === true;
}

/** A checked block from a request, not stored yet. */
export interface PendingBlock {
  type: string;
  content: Record<string, unknown>;
  children: PendingBlock[];
}

/** Validates request children; `depth` is 0 under a page, 1 under a block. */
export function validateChildren(
  value: unknown,
  path: string,
  depth: number,
  workspace: Workspace,
  counter = { count: 0 },
): PendingBlock[] {
  return expectArray(value, path).map((block, i) =>
    validateBlock(block, `${path}[${i}]`, depth, workspace, counter),
  );
}

function validateBlock(
  raw: unknown,
  path: string,
  depth: number,
  workspace: Workspace,
  counter: { count: number },
): PendingBlock {
  const block = expectObject(raw, path);
  counter.count += 1;
  if (counter.count > MAX_BLOCKS_PER_REQUEST)
    throw validation(
      `body failed validation: a request may contain at most ${MAX_BLOCKS_PER_REQUEST} blocks.`,
    );
  if (block.object !== undefined && block.object !== 'block')
    throw wrongType(`${path}.object`, '`"block"`', block.object);
  const keys = Object.keys(block).filter((k) => k !== 'object' && k !== 'type');
  const type = typeof block.type === 'string' ? block.type : keys[0];
  if (type === undefined || !BLOCK_TYPES.has(type) || keys.length !== 1 || keys[0] !== type) {
    throw bodyInvalid(path, `should be a single supported block object, instead had \`${shown(keys)}\``);
  }
  const at = `${path}.${type}`;
  const body = expectObject(block[type], at);
  if (type === 'divider') {
    if (Object.keys(body).length > 0) throw bodyInvalid(at, 'should be an empty object');
    return { type, content: {}, children: [] };
  }
  const content: Record<string, unknown> = {
    rich_text: validateRichTextArray(body.rich_text, `${at}.rich_text`, workspace),
  };
  content.color = 'default';
  if (body.color !== undefined) {
    if (typeof body.color !== 'string' || !API_COLORS.has(body.color))
      throw wrongType(`${at}.color`, 'a valid color', body.color);
    content.color = body.color;
  }
  if (type === 'to_do') {
    if (body.checked !== undefined && typeof body.checked !== 'boolean')
      throw wrongType(`${at}.checked`, 'a boolean', body.checked);
    content.checked = body.checked === true;
  }
  if (type === 'callout') {
    if (body.icon !== undefined) {
      if (!isRecord(body.icon) || typeof body.icon.emoji !== 'string')
        throw wrongType(`${at}.icon.emoji`, 'a string', body.icon);
      content.icon = { type: 'emoji', emoji: body.icon.emoji };
    } else {
      content.icon = null;
    }
  }
  if (type === 'code') {
    if (typeof body.language !== 'string') throw wrongType(`${at}.language`, 'defined', body.language);
    content.language = body.language;
    content.caption =
      body.caption === undefined ? [] : validateRichTextArray(body.caption, `${at}.caption`, workspace);
  }
  if (type.startsWith('heading_')) {
    if (body.is_toggleable !== undefined && typeof body.is_toggleable !== 'boolean')
      throw wrongType(`${at}.is_toggleable`, 'a boolean', body.is_toggleable);
    content.is_toggleable = body.is_toggleable === true;
  }
  let nested: PendingBlock[] = [];
  if (body.children !== undefined) {
    if (depth >= 2 || !canHoldChildren(type, content))
      throw bodyInvalid(`${at}.children`, 'should be not present');
    nested = validateChildren(body.children, `${at}.children`, depth + 1, workspace, counter);
  }
  return { type, content, children: nested };
}
