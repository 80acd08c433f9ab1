import { describe, expect, it } from 'vitest';
import { CsvError, parseCsv } from '../../domain/csv';

describe('CSV', () => {
  it('reads quoted fields with commas, quotes and line breaks, CRLF or LF, and skips blank lines', () => {
    const text = '\ufeffa,b,c\r\n1,"two, too","say ""hi"""\r\n\r\n3,"multi\nline",\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', 'two, too', 'say "hi"'] },
      { line: 4, fields: ['3', 'multi\nline', ''] },
    ]);
  });

  it('names the line of a malformed field', () => {
    expect(() => parseCsv('a,b\n1,x"y"\n')).toThrow(
      new CsvError('a quote inside an unquoted field: quote the whole field and double the quote', 2),
    );
    expect(() => parseCsv('a,b\n1,"open\n')).toThrow(/line 2: a quoted field is never closed/);
    expect(() => parseCsv('a\n"x"y\n')).toThrow(/line 2: text after a closing quote/);
  });
});
