/**
 * Atlassian Document Format: the rich-text documents Jira stores in descriptions and comments.
 * The sandbox checks a document's structure as Jira does before storing it, and reads its text
 * for changelogs, length limits and the rendered HTML body.
 */
import { isRecord } from '../http';

// Type aliases rather than interfaces, so that documents pass where clients expect Record<string, unknown>.
export type AdfNode = {
  type: string;
  text?: string;
  content?: AdfNode[];
  attrs?: Record<string, unknown>;
  marks?: { type: string; attrs?: Record<string, unknown> }[];
};

export type AdfDocument = {
  type: 'doc';
  version: 1;
  content: AdfNode[];
};

const ADF_BLOCKS = new Set([
  'paragraph',
  'heading',
  'bulletList',
  'orderedList',
  'listItem',
  'codeBlock',
  'blockquote',
  'rule',
  'panel',
  'table',
  'tableRow',
  'tableHeader',
  'tableCell',
  'mediaSingle',
  'mediaGroup',
  'media',
  'expand',
  'nestedExpand',
]);
const ADF_INLINES = new Set(['text', 'hardBreak', 'mention', 'emoji', 'inlineCard', 'date', 'status']);
const ADF_TOP_LEVEL = new Set([
  'paragraph',
  'heading',
  'bulletList',
  'orderedList',
  'codeBlock',
  'blockquote',
  'rule',
  'panel',
  'table',
  'mediaSingle',
  'mediaGroup',
  'expand',
]);

/** Why a value is not an ADF document Jira would store, or undefined when it is one. */
export function adfProblem(value: unknown): string | undefined {
  if (!isRecord(value) || value.type !== 'doc') return 'the root must be { "type": "doc" }';
  if (value.version !== 1) return 'version must be 1';
  if (!Array.isArray(value.content)) return 'content must be an array';
  for (const node of value.content) {
    if (!isRecord(node) || typeof node.type !== 'string' || !ADF_TOP_LEVEL.has(node.type))
      return `"${isRecord(node) ? String(node.type) : typeof node}" cannot be a top-level node`;
    const problem = adfNodeProblem(node);
    if (problem) return problem;
  }
  return undefined;
}

function adfNodeProblem(node: Record<string, unknown>): string | undefined {
  const type = node.type as string;
  if (type === 'text') {
    if (typeof node.text !== 'string' || node.text.length === 0) return 'text nodes need non-empty text';
    return undefined;
  }
  if (node.content === undefined) return undefined;
  if (!Array.isArray(node.content)) return `${type}.content must be an array`;
  const allowsInline = type === 'paragraph' || type === 'heading' || type === 'codeBlock';
  for (const child of node.content) {
    if (!isRecord(child) || typeof child.type !== 'string') return `${type} has a child that is not a node`;
    const known = allowsInline ? ADF_INLINES.has(child.type) : ADF_BLOCKS.has(child.type);
    if (!known) return `"${child.type}" is not allowed inside ${type}`;
    const problem = adfNodeProblem(child);
    if (problem) return problem;
  }
  return undefined;
}

/** The text of a document: paragraphs separated by blank lines, hard breaks as newlines. */
export function adfToText(doc: AdfDocument | AdfNode): string {
  const walk = (node: AdfNode): string => {
    if (node.type === 'text') return node.text ?? '';
    if (node.type === 'hardBreak') return '\n';
    const inner = (node.content ?? []).map(walk);
    return node.type === 'doc' ? inner.join('\n\n') : inner.join('');
  };
  return walk(doc);
}

/** A comment's `renderedBody`: one paragraph per top-level block, text escaped, breaks kept. */
export function adfToHtml(doc: AdfDocument): string {
  const escape = (s: string) =>
    s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return doc.content.map((block) => `<p>${escape(adfToText(block)).replace(/\n/g, '<br/>')}</p>`).join('');
}
