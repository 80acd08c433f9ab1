/**
 * Page templates for Notion: the document model of `domain/document` (headings, paragraphs,
 * lists, to-dos, callouts, dividers) turned into Notion block objects that respect the API's request limits,
 * so that long generated text never makes a create or append fail with a validation error.
 *
 * Pure functions only: workflows may build documents, and activities send them.
 */
import type { BlockObjectRequest } from '@notionhq/client';
import {
  TEXT_BLOCK_TYPES,
  type DocumentBlock,
  type PageDocument,
  type TextBlockType,
} from '../domain/document';

/** Notion rejects a rich text item whose `text.content` is longer than this (UTF-16 code units). */
export const MAX_RICH_TEXT_CONTENT = 2000;
/** Notion rejects any array in a request (rich text items, children) longer than this. */
export const MAX_ARRAY_ITEMS = 100;
/** Notion rejects a request carrying more than this many children at one level. */
export const MAX_CHILDREN_PER_REQUEST = 100;
/**
 * Notion caps a request body at 500 KB; batches stay well under it so that the JSON around
 * the blocks (parent, properties) always fits.
 */
export const MAX_BATCH_BYTES = 400_000;

export type { DocumentBlock, PageDocument, TextBlockType } from '../domain/document';

export type DocumentBlockType = DocumentBlock['type'];

export const DOCUMENT_BLOCK_TYPES: readonly DocumentBlockType[] = [
  ...TEXT_BLOCK_TYPES,
  'to_do',
  'callout',
  'divider',
];

/** A plain text rich text item as Notion accepts it in requests. */
export interface TextRichTextItem {
  type: 'text';
  text: { content: string };
}

/** The block objects this module produces; every one is a valid `BlockObjectRequest`. */
export type TemplateBlock =
  | { object: 'block'; type: 'heading_1'; heading_1: { rich_text: TextRichTextItem[] } }
  | { object: 'block'; type: 'heading_2'; heading_2: { rich_text: TextRichTextItem[] } }
  | { object: 'block'; type: 'heading_3'; heading_3: { rich_text: TextRichTextItem[] } }
  | { object: 'block'; type: 'paragraph'; paragraph: { rich_text: TextRichTextItem[] } }
  | { object: 'block'; type: 'bulleted_list_item'; bulleted_list_item: { rich_text: TextRichTextItem[] } }
  | { object: 'block'; type: 'numbered_list_item'; numbered_list_item: { rich_text: TextRichTextItem[] } }
  | { object: 'block'; type: 'quote'; quote: { rich_text: TextRichTextItem[] } }
  | { object: 'block'; type: 'to_do'; to_do: { rich_text: TextRichTextItem[]; checked: boolean } }
  | {
      object: 'block';
      type: 'callout';
      callout: { rich_text: TextRichTextItem[]; icon?: { type: 'emoji'; emoji: string } };
    }
  | { object: 'block'; type: 'divider'; divider: Record<string, never> };

// Compile-time proof that what we build is what the client accepts.
const _templateBlocksAreRequests = (block: TemplateBlock): BlockObjectRequest => block;
void _templateBlocksAreRequests;

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * Splits text into pieces of at most `max` UTF-16 code units whose concatenation is the input.
 * A piece never ends between the two halves of a surrogate pair (an emoji would be corrupted),
 * and prefers to end after a line break or a space near the limit so words stay whole.
 */
export function splitText(text: string, max = MAX_RICH_TEXT_CONTENT): string[] {
  if (!Number.isInteger(max) || max < 2) throw new RangeError('max must be an integer of at least 2');
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + max, text.length);
    if (end < text.length) {
      const soft = softBreak(text, start, end, max);
      if (soft !== undefined) end = soft;
      else if (isHighSurrogate(text.charCodeAt(end - 1)) && isLowSurrogate(text.charCodeAt(end))) end -= 1;
    }
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** The position just after the last newline (or else space) in the last tenth of the window. */
function softBreak(text: string, start: number, end: number, max: number): number | undefined {
  const floor = start + Math.floor(max * 0.9);
  const newline = text.lastIndexOf('\n', end - 1);
  if (newline >= floor) return newline + 1;
  const space = text.lastIndexOf(' ', end - 1);
  if (space >= floor) return space + 1;
  return undefined;
}

/** Rich text items for a string of any length (an empty string gives no items). */
export function richText(text: string): TextRichTextItem[] {
  return splitText(text).map((content) => ({ type: 'text', text: { content } }));
}

/**
 * Rich text items grouped so that no group exceeds Notion's 100-item array limit; text longer
 * than 200,000 characters therefore becomes several consecutive blocks.
 */
function richTextGroups(text: string): TextRichTextItem[][] {
  const items = richText(text);
  return items.length === 0 ? [[]] : chunk(items, MAX_ARRAY_ITEMS);
}

/** Turns a document into Notion block objects, in order. */
export function toBlocks(document: PageDocument): TemplateBlock[] {
  const blocks: TemplateBlock[] = [];
  for (const block of document) {
    switch (block.type) {
      case 'divider':
        blocks.push({ object: 'block', type: 'divider', divider: {} });
        break;
      case 'to_do':
        for (const rich_text of richTextGroups(block.text)) {
          blocks.push({
            object: 'block',
            type: 'to_do',
            to_do: { rich_text, checked: block.checked ?? false },
          });
        }
        break;
      case 'callout':
        for (const rich_text of richTextGroups(block.text)) {
          blocks.push({
            object: 'block',
            type: 'callout',
            callout: {
              rich_text,
              ...(block.emoji ? { icon: { type: 'emoji' as const, emoji: block.emoji } } : {}),
            },
          });
        }
        break;
      default:
        for (const rich_text of richTextGroups(block.text)) blocks.push(textBlock(block.type, rich_text));
    }
  }
  return blocks;
}

function textBlock(type: TextBlockType, rich_text: TextRichTextItem[]): TemplateBlock {
  switch (type) {
    case 'heading_1':
      return { object: 'block', type, heading_1: { rich_text } };
    case 'heading_2':
      return { object: 'block', type, heading_2: { rich_text } };
    case 'heading_3':
      return { object: 'block', type, heading_3: { rich_text } };
    case 'paragraph':
      return { object: 'block', type, paragraph: { rich_text } };
    case 'bulleted_list_item':
      return { object: 'block', type, bulleted_list_item: { rich_text } };
    case 'numbered_list_item':
      return { object: 'block', type, numbered_list_item: { rich_text } };
    case 'quote':
      return { object: 'block', type, quote: { rich_text } };
  }
}

/** Splits a list into consecutive pieces of at most `size` items. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('size must be a positive integer');
  const pieces: T[][] = [];
  for (let i = 0; i < items.length; i += size) pieces.push(items.slice(i, i + size));
  return pieces;
}

const utf8 = new TextEncoder();

/**
 * Groups blocks into request-sized batches: at most 100 blocks and about 400 KB of JSON each.
 * The same blocks always give the same batches, which lets an interrupted append resume at a
 * batch boundary.
 */
export function requestBatches<T>(
  blocks: readonly T[],
  maxBlocks = MAX_CHILDREN_PER_REQUEST,
  maxBytes = MAX_BATCH_BYTES,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const block of blocks) {
    const size = utf8.encode(JSON.stringify(block)).length + 1;
    if (current.length > 0 && (current.length >= maxBlocks || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(block);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * What a block says, independent of whether it is a request we built or a block Notion
 * returned: its type, its plain text and (for to-dos) whether it is checked. Used to recognise
 * content that an earlier attempt already wrote.
 */
export function blockFingerprint(block: unknown): string {
  if (!block || typeof block !== 'object') return 'unknown';
  const record = block as Record<string, unknown>;
  const type =
    typeof record.type === 'string'
      ? record.type
      : (Object.keys(record).find((k) => k !== 'object') ?? 'unknown');
  const content = record[type] as Record<string, unknown> | undefined;
  const items = Array.isArray(content?.rich_text) ? (content.rich_text as unknown[]) : [];
  const text = items.map(plainTextOf).join('');
  const checked = type === 'to_do' ? `|${content?.checked === true ? 'x' : ' '}` : '';
  return `${type}|${text}${checked}`;
}

function plainTextOf(item: unknown): string {
  if (!item || typeof item !== 'object') return '';
  const record = item as { plain_text?: unknown; text?: { content?: unknown } };
  if (typeof record.plain_text === 'string') return record.plain_text;
  if (typeof record.text?.content === 'string') return record.text.content;
  return '';
}

/**
 * Reads an outline written in a markdown-like syntax, one block per line:
 * `# `, `## `, `### ` headings; `- ` or `* ` bullets; `1. ` numbered items; `- [ ] ` and
 * `- [x] ` to-dos; `> ` quotes; `! ` callouts; `---` dividers; anything else a paragraph.
 * Blank lines only separate blocks.
 */
export function parseOutline(text: string): PageDocument {
  const document: PageDocument = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trimEnd();
    if (line.trim() === '') continue;
    let match: RegExpExecArray | null;
    if (/^\s*-{3,}\s*$/.test(line)) document.push({ type: 'divider' });
    else if ((match = /^###\s+(.*)$/.exec(line))) document.push({ type: 'heading_3', text: match[1]! });
    else if ((match = /^##\s+(.*)$/.exec(line))) document.push({ type: 'heading_2', text: match[1]! });
    else if ((match = /^#\s+(.*)$/.exec(line))) document.push({ type: 'heading_1', text: match[1]! });
    else if ((match = /^\s*[-*]\s+\[([ xX])\]\s+(.*)$/.exec(line)))
      document.push({ type: 'to_do', text: match[2]!, checked: match[1] !== ' ' });
    else if ((match = /^\s*[-*]\s+(.*)$/.exec(line)))
      document.push({ type: 'bulleted_list_item', text: match[1]! });
    else if ((match = /^\s*\d+[.)]\s+(.*)$/.exec(line)))
      document.push({ type: 'numbered_list_item', text: match[1]! });
    else if ((match = /^>\s?(.*)$/.exec(line))) document.push({ type: 'quote', text: match[1]! });
    else if ((match = /^!\s+(.*)$/.exec(line))) document.push({ type: 'callout', text: match[1]! });
    else document.push({ type: 'paragraph', text: line });
  }
  return document;
}

/**
 * The document a block Notion returned stands for: text blocks keep their type and plain text;
 * toggles and code read as paragraphs; anything without text (images, embeds, tables) is left
 * out. The inverse of `toBlocks` for the types it writes.
 */
export function fromBlock(block: unknown): DocumentBlock | null {
  if (!block || typeof block !== 'object') return null;
  const record = block as Record<string, unknown>;
  const type = typeof record.type === 'string' ? record.type : '';
  if (type === 'divider') return { type: 'divider' };
  const content = record[type] as Record<string, unknown> | undefined;
  if (!content || !Array.isArray(content.rich_text)) return null;
  const text = (content.rich_text as unknown[]).map(plainTextOf).join('');
  switch (type) {
    case 'heading_1':
    case 'heading_2':
    case 'heading_3':
    case 'paragraph':
    case 'bulleted_list_item':
    case 'numbered_list_item':
    case 'quote':
      return { type, text };
    case 'to_do':
      return { type, text, checked: content.checked === true };
    case 'callout': {
      const icon = content.icon as { type?: string; emoji?: string } | null | undefined;
      return { type, text, ...(icon?.type === 'emoji' && icon.emoji ? { emoji: icon.emoji } : {}) };
    }
    case 'toggle':
    case 'code':
      return { type: 'paragraph', text };
    default:
      return null;
  }
}
