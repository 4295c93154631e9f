/**
 * What each word of a search asks for, read from its shape, so that the words
 * an index can answer are sent to that index:
 *
 * - `jane@acme.com` (a whole address) → `email`: equality on the email index;
 * - `jane@acme` or `jane@` (an address being typed) and `acme*` → `prefix`:
 *   a range on an ordered index;
 * - anything else → `contains`: a substring anywhere in a searchable field
 *   (a trigram index where there is one, otherwise a bounded scan).
 */
export type SearchWord =
  | { kind: 'email'; text: string }
  | { kind: 'prefix'; text: string }
  | { kind: 'contains'; text: string };

/** local@domain.tld: no spaces or `*`, one `@`, a dotted domain that does not end with a dot. */
const WHOLE_EMAIL = /^[^\s@*]+@[^\s@*.]+(\.[^\s@*.]+)+$/;

/** The word's kind, or null for a word that asks for nothing (`*`). */
export function classifyWord(word: string): SearchWord | null {
  if (word.endsWith('*')) {
    const text = word.replace(/\*+$/, '');
    return text === '' ? null : { kind: 'prefix', text };
  }
  if (WHOLE_EMAIL.test(word)) return { kind: 'email', text: word };
  if (word.indexOf('@') > 0) return { kind: 'prefix', text: word };
  return { kind: 'contains', text: word };
}

/** Every word of a search, classified; words that ask for nothing are dropped. */
export function classifyWords(words: readonly string[]): SearchWord[] {
  return words.map(classifyWord).filter((word): word is SearchWord => word !== null);
}

/**
 * The exclusive upper end of the range of strings that start with `prefix`, in
 * code-point (binary, C collation) order: the prefix cut after its last letter
 * or digit, with that character incremented (`jane@` → `janf`). Cutting trailing
 * punctuation keeps the range right under collations that ignore punctuation.
 * Null when the prefix has no letter or digit (the range is then open-ended).
 */
export function prefixUpperBound(prefix: string): string | null {
  const chars = [...prefix];
  while (chars.length > 0 && !/[\p{L}\p{N}]/u.test(chars[chars.length - 1])) chars.pop();
  if (chars.length === 0) return null;
  const last = chars.pop()!.codePointAt(0)!;
  return chars.join('') + String.fromCodePoint(last + 1);
}

/** `Acme` for `acme`: the case a name is usually stored in. */
export function capitalised(text: string): string {
  const [first = '', ...rest] = [...text];
  return first.toUpperCase() + rest.join('');
}
