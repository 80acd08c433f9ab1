/**
 * A small document model for the pages prodops writes (enablement bundles, retros, trackers).
 * Workflows build documents from templates; the Notion activities turn them into blocks and
 * split text to fit Notion's limits, so templates never need to know those limits.
 */
/** The block types that carry plain text and nothing else. */
export const TEXT_BLOCK_TYPES = [
  'heading_1',
  'heading_2',
  'heading_3',
  'paragraph',
  'bulleted_list_item',
  'numbered_list_item',
  'quote',
] as const;

export type TextBlockType = (typeof TEXT_BLOCK_TYPES)[number];

/** One block of a document. Text may be any length. */
export type DocumentBlock =
  | { type: TextBlockType; text: string }
  | { type: 'to_do'; text: string; checked?: boolean }
  | { type: 'callout'; text: string; emoji?: string }
  | { type: 'divider' };

export type PageDocument = DocumentBlock[];
