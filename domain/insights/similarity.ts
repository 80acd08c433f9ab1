/**
 * Text similarity for near-duplicate feedback: the Jaccard index of the texts' word trigrams.
 * "The export to CSV times out for large workspaces" and "export to csv times out for our large
 * workspace!!" share most of their three-word runs; two complaints about different things in
 * the same words ("the export is slow", "the import is slow") share few.
 *
 * Texts are compared on their normalised form (lower case, accents and punctuation removed,
 * spaces collapsed), capped at a number of characters so that what a workflow keeps per item is
 * bounded; feedback items are short, and their openings are where near-duplicates agree.
 */

/** Characters of normalised text kept per item for comparison. */
export const SIMILARITY_TEXT_LIMIT = 1_000;

/** Lower case, without accents or punctuation, single-spaced, cut at a word within `limit`. */
export function normaliseForSimilarity(text: string, limit = SIMILARITY_TEXT_LIMIT): string {
  const flat = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  if (flat.length <= limit) return flat;
  const cut = flat.slice(0, limit + 1);
  const space = cut.lastIndexOf(' ');
  return (space > 0 ? cut.slice(0, space) : cut.slice(0, limit)).trim();
}

/**
 * The word trigrams of a normalised text. A text of one or two words has no trigram: it is its
 * own single shingle, so it matches only the same words.
 */
export function wordTrigrams(normalised: string): Set<string> {
  const words = normalised.split(' ').filter((w) => w !== '');
  const out = new Set<string>();
  if (words.length === 0) return out;
  if (words.length < 3) {
    out.add(words.join(' '));
    return out;
  }
  for (let i = 0; i + 2 < words.length; i++) out.add(`${words[i]} ${words[i + 1]} ${words[i + 2]}`);
  return out;
}

/** |A ∩ B| / |A ∪ B|; two empty sets are not similar (there is nothing to compare). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const x of small) if (large.has(x)) shared++;
  return shared / (a.size + b.size - shared);
}

/** The word-trigram Jaccard similarity of two normalised texts, from 0 to 1. */
export function similarity(a: string, b: string): number {
  return jaccard(wordTrigrams(a), wordTrigrams(b));
}
