/**
 * CSV as spreadsheets and help desks export it (RFC 4180): fields separated by commas, quoted
 * with double quotes when they hold commas, quotes or line breaks, a quote inside a quoted field
 * written twice; lines end with CRLF or LF; a byte-order mark is ignored. Each record keeps the
 * line it starts on, so a problem can be reported where a person will find it.
 */

export interface CsvRecord {
  /** The line (1-based) the record starts on. */
  line: number;
  fields: string[];
}

export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export function parseCsv(text: string): CsvRecord[] {
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let wasQuoted = false;
  let i = 0;
  const endField = () => {
    fields.push(field);
    field = '';
    wasQuoted = false;
  };
  const endRecord = () => {
    endField();
    // A blank line is no record.
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
  };
  while (i < input.length) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (field !== '' || wasQuoted)
        throw new CsvError(
          'a quote inside an unquoted field: quote the whole field and double the quote',
          line,
        );
      quoted = true;
      wasQuoted = true;
      i++;
      continue;
    }
    if (c === ',') {
      endField();
      i++;
      continue;
    }
    if (c === '\r' && input[i + 1] === '\n') {
      i++;
      continue;
    }
    if (c === '\n' || c === '\r') {
      endRecord();
      line++;
      recordLine = line;
      i++;
      continue;
    }
    if (wasQuoted) throw new CsvError('text after a closing quote: a quoted field ends at its comma', line);
    field += c;
    i++;
  }
  if (quoted) throw new CsvError('a quoted field is never closed', recordLine);
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}
