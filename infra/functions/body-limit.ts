/**
 * Oversized bodies are refused before anything buffers them.
 *
 * The Functions Framework reads and parses every body (body-parser's json, text, urlencoded and
 * raw parsers) before the function runs, at a limit written into its code as 1024mb, with no flag
 * or environment variable to lower it; Cloud Run lets HTTP/1 requests of up to 32 MiB through. So
 * without this, a 30 MiB body is buffered and JSON-parsed for every concurrent request before the
 * handler's own 1 MiB check sees it.
 *
 * A function's bundle is loaded before the framework builds its server, so the bundle lowers the
 * limit of the framework's own body-parser (resolved from the framework's location, the very copy
 * it requires). body-parser then answers 413 at once when Content-Length is above the limit, and
 * stops keeping a chunked body at the limit: at most `maxBytes` are held per request.
 */
import { createRequire } from 'node:module';

const PARSERS = ['json', 'raw', 'text', 'urlencoded'] as const;
type ParserFactory = (options?: Record<string, unknown>) => unknown;
const LIMITED = Symbol.for('prodops.bodyLimit');

/**
 * Makes every body-parser middleware the framework creates from now on refuse bodies above
 * `maxBytes`. Answers false when the framework is not installed beside the bundle (nothing to
 * limit); throws when it is there but its body-parser cannot be changed.
 */
export function limitFrameworkBodies(maxBytes: number, from: string = import.meta.url): boolean {
  const localRequire = createRequire(from);
  let frameworkEntry: string;
  try {
    frameworkEntry = localRequire.resolve('@google-cloud/functions-framework');
  } catch {
    return false;
  }
  const bodyParser = createRequire(frameworkEntry)('body-parser') as Record<string, unknown>;
  for (const kind of PARSERS) {
    const original = bodyParser[kind] as (ParserFactory & { [LIMITED]?: number }) | undefined;
    if (typeof original !== 'function')
      throw new Error(`body-parser beside the Functions Framework has no ${kind}() to limit`);
    if (original[LIMITED] !== undefined) continue;
    const limited: ParserFactory & { [LIMITED]?: number } = (options = {}) =>
      original({ ...options, limit: maxBytes });
    limited[LIMITED] = maxBytes;
    bodyParser[kind] = limited;
  }
  return true;
}
