/**
 * Rich text: request items (text with annotations and links, equations, user/page/date mentions)
 * checked as Notion checks them and turned into the response form Notion stores, and the plain
 * text of stored values.
 */
import { isRecord } from '../http';
import { validateDateValue } from './dates';
import { bodyInvalid, expectArray, expectObject, tooLong, wrongType } from './errors';
import { idOf } from './ids';
import {
  API_COLORS,
  MAX_EQUATION,
  MAX_TEXT_CONTENT,
  MAX_URL,
  type PageRecord,
  type StoredValue,
  type Workspace,
} from './model';

const DEFAULT_ANNOTATIONS = {
  bold: false,
  italic: false,
  strikethrough: false,
  underline: false,
  code: false,
  color: 'default',
};
const FLAGS = ['bold', 'italic', 'strikethrough', 'underline', 'code'];

/** A text item in response form. */
export function richTextResponse(
  content: string,
  link: string | null = null,
  annotations: Record<string, unknown> = {},
) {
  return {
    type: 'text',
    text: { content, link: link === null ? null : { url: link } },
    annotations: { ...DEFAULT_ANNOTATIONS, ...annotations },
    plain_text: content,
    href: link,
  };
}

/** A non-text item (equation, mention) in response form. */
function richItem(
  type: string,
  value: Record<string, unknown>,
  plain: string,
  annotations: Record<string, unknown>,
) {
  return {
    type,
    [type]: value,
    annotations: { ...DEFAULT_ANNOTATIONS, ...annotations },
    plain_text: plain,
    href: null,
  };
}

export function validateRichTextArray(
  value: unknown,
  path: string,
  workspace: Workspace,
): Record<string, unknown>[] {
  return expectArray(value, path).map((item, i) => validateRichTextItem(item, `${path}[${i}]`, workspace));
}

function validateRichTextItem(item: unknown, path: string, workspace: Workspace): Record<string, unknown> {
  const object = expectObject(item, path);
  const annotations = validateAnnotations(object.annotations, `${path}.annotations`);
  const kind =
    typeof object.type === 'string' ? object.type : ['text', 'mention', 'equation'].find((k) => k in object);
  if (kind === 'text') {
    const text = object.text;
    if (!isRecord(text)) throw wrongType(`${path}.text`, 'defined', text);
    if (typeof text.content !== 'string') throw wrongType(`${path}.text.content`, 'a string', text.content);
    if (text.content.length > MAX_TEXT_CONTENT)
      throw tooLong(`${path}.text.content`, MAX_TEXT_CONTENT, text.content.length);
    let link: string | null = null;
    if (text.link !== undefined && text.link !== null) {
      if (!isRecord(text.link) || typeof text.link.url !== 'string')
        throw wrongType(`${path}.text.link.url`, 'a string', text.link);
      if (text.link.url.length > MAX_URL)
        throw tooLong(`${path}.text.link.url`, MAX_URL, text.link.url.length);
      link = text.link.url;
    }
    return richTextResponse(text.content, link, annotations);
  }
  if (kind === 'equation') {
    const equation = object.equation;
    if (!isRecord(equation) || typeof equation.expression !== 'string') {
      throw wrongType(
        `${path}.equation.expression`,
        'a string',
        isRecord(equation) ? equation.expression : equation,
      );
    }
    if (equation.expression.length > MAX_EQUATION)
      throw tooLong(`${path}.equation.expression`, MAX_EQUATION, equation.expression.length);
    return richItem('equation', { expression: equation.expression }, equation.expression, annotations);
  }
  if (kind === 'mention') return validateMention(object.mention, `${path}.mention`, annotations, workspace);
  throw bodyInvalid(path, 'should be a text, mention or equation rich text object');
}

function validateAnnotations(value: unknown, path: string): Record<string, unknown> {
  if (value === undefined) return {};
  const out: Record<string, unknown> = {};
  for (const [key, flag] of Object.entries(expectObject(value, path))) {
    if (key === 'color') {
      if (typeof flag !== 'string' || !API_COLORS.has(flag))
        throw wrongType(`${path}.color`, 'a valid color', flag);
      out.color = flag;
    } else if (FLAGS.includes(key)) {
      if (typeof flag !== 'boolean') throw wrongType(`${path}.${key}`, 'a boolean', flag);
      out[key] = flag;
    } else {
      throw bodyInvalid(`${path}.${key}`, 'should be not present');
    }
  }
  return out;
}

function validateMention(
  value: unknown,
  path: string,
  annotations: Record<string, unknown>,
  workspace: Workspace,
): Record<string, unknown> {
  const mention = expectObject(value, path);
  if (isRecord(mention.user)) {
    const user = workspace.findUser(idOf(mention.user.id));
    if (!user) throw wrongType(`${path}.user.id`, 'a valid user id', mention.user.id);
    return richItem(
      'mention',
      { type: 'user', user: { object: 'user', id: user.id } },
      `@${user.name}`,
      annotations,
    );
  }
  if (isRecord(mention.page)) {
    const page = workspace.findPage(idOf(mention.page.id));
    if (!page) throw wrongType(`${path}.page.id`, 'a valid page id', mention.page.id);
    return richItem(
      'mention',
      { type: 'page', page: { id: page.id } },
      titleOf(page) || 'Untitled',
      annotations,
    );
  }
  if (isRecord(mention.date)) {
    const date = validateDateValue(mention.date, `${path}.date`);
    return richItem(
      'mention',
      { type: 'date', date },
      date.end ? `${date.start} → ${date.end}` : date.start,
      annotations,
    );
  }
  throw bodyInvalid(path, 'should be a user, page or date mention');
}

/** The plain text of a text-like value (title, rich text, url, email, phone); '' for others. */
export function plainText(value: StoredValue): string {
  const items = value[value.type];
  if (Array.isArray(items))
    return (items as { plain_text?: string }[]).map((t) => t.plain_text ?? '').join('');
  return typeof items === 'string' ? items : '';
}

/** A page's title as plain text. */
export function titleOf(page: PageRecord): string {
  const title = Object.values(page.properties).find((v) => v.type === 'title');
  return title ? plainText(title) : '';
}
