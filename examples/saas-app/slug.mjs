// URL slugs and the ASCII folding that emails and slugs share.

/** `"Zoë & Søren GmbH"` → `"zoe-and-soren-gmbh"` */
export function slugify(text) {
  return asciiFold(text)
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Strips accents, and spells out the few letters that have no decomposition (ł, ø, ß, æ). */
export function asciiFold(text) {
  return String(text)
    .replace(/[łŁøØßæÆ]/g, (c) => ({ ł: 'l', Ł: 'L', ø: 'o', Ø: 'O', ß: 'ss', æ: 'ae', Æ: 'AE' })[c])
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '');
}
