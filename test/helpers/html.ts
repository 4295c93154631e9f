/** The page's text with EJS's entity escapes undone, so assertions can quote messages naturally. */
export function decoded(html: string): string {
  return html
    .replace(/&#34;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
