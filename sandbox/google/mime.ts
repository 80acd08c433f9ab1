/**
 * RFC 822/2045 messages as Gmail takes them in `raw`: headers (folded, RFC 2047 encoded words),
 * multipart bodies, transfer encodings and charsets, address lists, and the `payload` tree Gmail
 * renders a message as.
 */
import { invalid } from './errors';
import { EMAIL, type MimePart } from './model';

function splitHeaderBlock(text: string): { headerText: string; bodyText: string } {
  const match = /\r?\n\r?\n/.exec(text);
  if (!match) return { headerText: text, bodyText: '' };
  return { headerText: text.slice(0, match.index), bodyText: text.slice(match.index + match[0].length) };
}

function parseHeaders(headerText: string): [string, string][] {
  const unfolded = headerText.replace(/\r?\n[ \t]+/g, ' ');
  const headers: [string, string][] = [];
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return headers;
}

/** A header's value by lower-case name, the first when repeated. */
export function headerOf(headers: [string, string][], name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

function contentTypeOf(headers: [string, string][]): { mimeType: string; params: Record<string, string> } {
  const value = headerOf(headers, 'content-type') ?? 'text/plain; charset=us-ascii';
  const [type, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    params[param.slice(0, eq).trim().toLowerCase()] = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return { mimeType: (type ?? 'text/plain').trim().toLowerCase(), params };
}

function decodeTransfer(bodyText: string, encoding: string | undefined): Buffer {
  switch ((encoding ?? '7bit').trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(bodyText.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable': {
      const soft = bodyText.replace(/=\r?\n/g, '');
      const bytes: number[] = [];
      for (let i = 0; i < soft.length; i++) {
        const hex = soft.slice(i + 1, i + 3);
        if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
          bytes.push(parseInt(hex, 16));
          i += 2;
        } else {
          bytes.push(soft.charCodeAt(i) & 0xff);
        }
      }
      return Buffer.from(bytes);
    }
    default:
      return Buffer.from(bodyText, 'latin1');
  }
}

/** Parses a message (or part) from its raw bytes; bodies are transfer-decoded. */
export function parseMime(raw: Buffer | string): MimePart {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const { headerText, bodyText } = splitHeaderBlock(text);
  const headers = parseHeaders(headerText);
  const { mimeType, params } = contentTypeOf(headers);
  if (mimeType.startsWith('multipart/') && params.boundary) {
    const delimiter = `--${params.boundary}`;
    const parts: MimePart[] = [];
    const lines = bodyText.split(/\r?\n/);
    let current: string[] | undefined;
    for (const line of lines) {
      if (line === `${delimiter}--` || line.trimEnd() === `${delimiter}--`) {
        if (current) parts.push(parseMime(current.join('\r\n')));
        current = undefined;
        break;
      }
      if (line.trimEnd() === delimiter) {
        if (current) parts.push(parseMime(current.join('\r\n')));
        current = [];
        continue;
      }
      current?.push(line);
    }
    if (current) parts.push(parseMime(current.join('\r\n')));
    return { headers, mimeType, body: Buffer.alloc(0), parts };
  }
  return {
    headers,
    mimeType,
    body: decodeTransfer(bodyText, headerOf(headers, 'content-transfer-encoding')),
    parts: [],
  };
}

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** The first text/plain and text/html bodies of a message, decoded. */
export function bodiesOf(part: MimePart): { text?: string; html?: string } {
  if (part.parts.length > 0) {
    const found: { text?: string; html?: string } = {};
    for (const child of part.parts) {
      const inner = bodiesOf(child);
      found.text ??= inner.text;
      found.html ??= inner.html;
    }
    return found;
  }
  const charset = contentTypeOf(part.headers).params.charset;
  if (part.mimeType === 'text/plain') return { text: decodeCharset(part.body, charset) };
  if (part.mimeType === 'text/html') return { html: decodeCharset(part.body, charset) };
  return {};
}

/** Decodes RFC 2047 encoded-words; whitespace between adjacent encoded-words is dropped. */
export function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?[^?]+\?[BbQq]\?[^?]*\?=)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset: string, encoding: string, data: string) => {
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : Buffer.from(
              data
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (__, hex: string) => String.fromCharCode(parseInt(hex, 16))),
              'latin1',
            );
      return decodeCharset(bytes, charset.split('*')[0]);
    });
}

/** The addresses of an address-list header; an entry that is not an address makes it invalid. */
export function parseAddressList(value: string | undefined, header: string): string[] {
  if (value === undefined || value.trim() === '') return [];
  const entries: string[] = [];
  let current = '';
  let quoted = false;
  let angle = false;
  for (const char of value) {
    if (char === '"') quoted = !quoted;
    else if (char === '<' && !quoted) angle = true;
    else if (char === '>' && !quoted) angle = false;
    if (char === ',' && !quoted && !angle) {
      entries.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  entries.push(current);
  return entries
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((entry) => {
      const address = (/<([^<>]*)>\s*$/.exec(entry)?.[1] ?? entry).trim().toLowerCase();
      if (!EMAIL.test(address)) invalid(`Invalid ${header} header`);
      return address;
    });
}

/** A part as Gmail's `payload`, with part ids `0`, `0.1` … below the root. */
export function payloadOf(part: MimePart, partId: string): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    partId,
    mimeType: part.mimeType,
    filename: '',
    headers: part.headers.map(([name, value]) => ({ name, value })),
    body:
      part.parts.length > 0 ? { size: 0 } : { size: part.body.length, data: part.body.toString('base64url') },
  };
  if (part.parts.length > 0)
    payload.parts = part.parts.map((child, i) =>
      payloadOf(child, partId === '' ? String(i) : `${partId}.${i}`),
    );
  return payload;
}
