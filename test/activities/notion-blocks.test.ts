import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_BATCH_BYTES,
  MAX_RICH_TEXT_CONTENT,
  blockFingerprint,
  chunk,
  parseOutline,
  requestBatches,
  richText,
  splitText,
  toBlocks,
  type PageDocument,
} from '../../activities/notion-blocks';

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** Text mixing ASCII, spaces, newlines, accented letters and astral characters (surrogate pairs). */
const mixedText = fc
  .array(fc.oneof(fc.constantFrom('a', ' ', '\n', 'é', '😀', '𝒳', '漢'), fc.string({ maxLength: 5 })), {
    maxLength: 3000,
  })
  .map((parts) => parts.join(''));

describe('splitText', () => {
  it('joins back to the input, with every piece non-empty and at most the limit', () => {
    fc.assert(
      fc.property(mixedText, fc.integer({ min: 2, max: 2500 }), (text, max) => {
        const pieces = splitText(text, max);
        expect(pieces.join('')).toBe(text);
        for (const piece of pieces) {
          expect(piece.length).toBeGreaterThan(0);
          expect(piece.length).toBeLessThanOrEqual(max);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never ends a piece between the two halves of a surrogate pair', () => {
    fc.assert(
      fc.property(mixedText, fc.integer({ min: 2, max: 50 }), (text, max) => {
        for (const piece of splitText(text, max)) {
          expect(isHigh(piece.charCodeAt(piece.length - 1))).toBe(false);
          expect(isLow(piece.charCodeAt(0))).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('uses Notion’s 2,000 character limit by default', () => {
    const pieces = splitText('x'.repeat(4001));
    expect(pieces.map((p) => p.length)).toEqual([2000, 2000, 1]);
  });

  it('moves an emoji that straddles the limit into the next piece', () => {
    const text = `${'a'.repeat(1999)}😀b`;
    const pieces = splitText(text);
    expect(pieces).toEqual(['a'.repeat(1999), '😀b']);
  });

  it('prefers to break after a newline or a space near the limit', () => {
    const text = `${'a'.repeat(1900)}\n${'b'.repeat(300)}`;
    expect(splitText(text)[0]).toBe(`${'a'.repeat(1900)}\n`);
    const words = `${'w'.repeat(1950)} ${'z'.repeat(100)}`;
    expect(splitText(words)[0]).toBe(`${'w'.repeat(1950)} `);
  });

  it('gives no pieces for empty text and refuses a limit that cannot hold a surrogate pair', () => {
    expect(splitText('')).toEqual([]);
    expect(() => splitText('abc', 1)).toThrow(RangeError);
  });
});

describe('toBlocks', () => {
  it('turns every document block type into the matching Notion block', () => {
    const document: PageDocument = [
      { type: 'heading_1', text: 'H1' },
      { type: 'heading_2', text: 'H2' },
      { type: 'heading_3', text: 'H3' },
      { type: 'paragraph', text: 'P' },
      { type: 'bulleted_list_item', text: 'B' },
      { type: 'numbered_list_item', text: 'N' },
      { type: 'quote', text: 'Q' },
      { type: 'to_do', text: 'T', checked: true },
      { type: 'to_do', text: 'U' },
      { type: 'callout', text: 'C', emoji: '📣' },
      { type: 'callout', text: 'D' },
      { type: 'divider' },
    ];
    const blocks = toBlocks(document);
    expect(blocks.map((b) => b.type)).toEqual([
      'heading_1',
      'heading_2',
      'heading_3',
      'paragraph',
      'bulleted_list_item',
      'numbered_list_item',
      'quote',
      'to_do',
      'to_do',
      'callout',
      'callout',
      'divider',
    ]);
    expect(blocks[0]).toEqual({
      object: 'block',
      type: 'heading_1',
      heading_1: { rich_text: [{ type: 'text', text: { content: 'H1' } }] },
    });
    expect(blocks[7]).toEqual({
      object: 'block',
      type: 'to_do',
      to_do: { rich_text: [{ type: 'text', text: { content: 'T' } }], checked: true },
    });
    expect(blocks[8]).toMatchObject({ to_do: { checked: false } });
    expect(blocks[9]).toEqual({
      object: 'block',
      type: 'callout',
      callout: {
        rich_text: [{ type: 'text', text: { content: 'C' } }],
        icon: { type: 'emoji', emoji: '📣' },
      },
    });
    expect(blocks[10]).toEqual({
      object: 'block',
      type: 'callout',
      callout: { rich_text: [{ type: 'text', text: { content: 'D' } }] },
    });
    expect(blocks[11]).toEqual({ object: 'block', type: 'divider', divider: {} });
  });

  it('splits long text into several rich text items of one block', () => {
    const [block] = toBlocks([{ type: 'paragraph', text: 'x'.repeat(4500) }]);
    expect(block?.type).toBe('paragraph');
    const items = block?.type === 'paragraph' ? block.paragraph.rich_text : [];
    expect(items.map((i) => i.text.content.length)).toEqual([2000, 2000, 500]);
  });

  it('continues text beyond 100 rich text items in a further block of the same type', () => {
    const blocks = toBlocks([{ type: 'bulleted_list_item', text: 'y'.repeat(2000 * 100 + 10) }]);
    expect(blocks).toHaveLength(2);
    const counts = blocks.map((b) =>
      b.type === 'bulleted_list_item' ? b.bulleted_list_item.rich_text.length : -1,
    );
    expect(counts).toEqual([100, 1]);
  });

  it('keeps empty text as a block with no rich text', () => {
    expect(toBlocks([{ type: 'bulleted_list_item', text: '' }])).toEqual([
      { object: 'block', type: 'bulleted_list_item', bulleted_list_item: { rich_text: [] } },
    ]);
  });

  it('produces rich text that always fits Notion’s limits', () => {
    fc.assert(
      fc.property(mixedText, (text) => {
        for (const item of richText(text)) {
          expect(item.text.content.length).toBeGreaterThan(0);
          expect(item.text.content.length).toBeLessThanOrEqual(MAX_RICH_TEXT_CONTENT);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('chunk and requestBatches', () => {
  it('chunks a list into pieces of at most the size, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 450 }),
        fc.integer({ min: 1, max: 120 }),
        (items, size) => {
          const pieces = chunk(items, size);
          expect(pieces.flat()).toEqual(items);
          for (const piece of pieces) {
            expect(piece.length).toBeGreaterThan(0);
            expect(piece.length).toBeLessThanOrEqual(size);
          }
          expect(pieces.length).toBe(Math.ceil(items.length / size));
        },
      ),
    );
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });

  it('batches at most 100 blocks per request', () => {
    const blocks = toBlocks(
      Array.from({ length: 250 }, (_, i) => ({ type: 'paragraph' as const, text: `line ${i}` })),
    );
    expect(requestBatches(blocks).map((b) => b.length)).toEqual([100, 100, 50]);
  });

  it('starts a new batch before the JSON would pass the size budget', () => {
    const big = toBlocks(
      Array.from({ length: 60 }, () => ({ type: 'paragraph' as const, text: 'z'.repeat(20_000) })),
    );
    const batches = requestBatches(big);
    expect(batches.flat()).toEqual(big);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches)
      expect(new TextEncoder().encode(JSON.stringify(batch)).length).toBeLessThanOrEqual(
        MAX_BATCH_BYTES + 100,
      );
  });
});

describe('blockFingerprint', () => {
  it('reads the same fingerprint from a request block and from the block Notion returns', () => {
    const [request] = toBlocks([{ type: 'to_do', text: 'Ship it', checked: true }]);
    const response = {
      object: 'block',
      id: 'b',
      type: 'to_do',
      to_do: {
        rich_text: [{ type: 'text', text: { content: 'Ship it', link: null }, plain_text: 'Ship it' }],
        checked: true,
        color: 'default',
      },
    };
    expect(blockFingerprint(request)).toBe(blockFingerprint(response));
    expect(blockFingerprint({ ...response, to_do: { ...response.to_do, checked: false } })).not.toBe(
      blockFingerprint(request),
    );
    expect(blockFingerprint(toBlocks([{ type: 'paragraph', text: 'Ship it' }])[0])).not.toBe(
      blockFingerprint(request),
    );
  });
});

describe('parseOutline', () => {
  it('reads headings, lists, to-dos, quotes, callouts, dividers and paragraphs', () => {
    const outline = [
      '# Launch',
      '## Who',
      '### Detail',
      '- first',
      '* second',
      '1. one',
      '- [ ] open',
      '- [x] done',
      '> said',
      '! heads up',
      '---',
      '',
      'Plain words.',
    ].join('\n');
    expect(parseOutline(outline)).toEqual([
      { type: 'heading_1', text: 'Launch' },
      { type: 'heading_2', text: 'Who' },
      { type: 'heading_3', text: 'Detail' },
      { type: 'bulleted_list_item', text: 'first' },
      { type: 'bulleted_list_item', text: 'second' },
      { type: 'numbered_list_item', text: 'one' },
      { type: 'to_do', text: 'open', checked: false },
      { type: 'to_do', text: 'done', checked: true },
      { type: 'quote', text: 'said' },
      { type: 'callout', text: 'heads up' },
      { type: 'divider' },
      { type: 'paragraph', text: 'Plain words.' },
    ]);
  });
});
