import type { Response } from 'express';

/** The attribute that marks a banner already in the page (the host rendered it), so none is added twice. */
export const BANNER_MARKER = 'data-backstage-banner';

/**
 * Where `snippet` goes in an HTML document: just before the last `</body>`; at
 * the start of the body when there is no closing tag; before `</html>`; at the
 * end of a document that starts with a doctype. Fragments (htmx partials, a
 * `<tr>` sent to a script) get nothing: a banner inside them would be a bug.
 * Returns null when nothing should be inserted.
 */
export function insertIntoDocument(document: string, snippet: string): string | null {
  if (document.includes(BANNER_MARKER)) return null;
  const bodyEnd = lastIndexOf(document, /<\/body\s*>/gi);
  if (bodyEnd !== -1) return document.slice(0, bodyEnd) + snippet + document.slice(bodyEnd);
  const bodyStart = /<body(?:\s[^>]*)?>/i.exec(document);
  if (bodyStart) {
    const at = bodyStart.index + bodyStart[0].length;
    return document.slice(0, at) + snippet + document.slice(at);
  }
  const htmlEnd = lastIndexOf(document, /<\/html\s*>/gi);
  if (htmlEnd !== -1) return document.slice(0, htmlEnd) + snippet + document.slice(htmlEnd);
  if (/^\s*<!doctype html/i.test(document)) return document + snippet;
  return null;
}

function lastIndexOf(text: string, pattern: RegExp): number {
  let last = -1;
  for (const match of text.matchAll(pattern)) last = match.index;
  return last;
}

function headerText(value: number | string | string[] | undefined): string {
  if (value === undefined) return '';
  return (Array.isArray(value) ? value.join(',') : String(value)).toLowerCase();
}

/** Only a complete, uncompressed, UTF-8 HTML body can be edited safely. */
function canInject(res: Response, method: string): boolean {
  if (method === 'HEAD' || res.headersSent) return false;
  if (res.statusCode < 200 || res.statusCode === 204 || res.statusCode === 304) return false;
  const type = headerText(res.getHeader('content-type'));
  if (!type.startsWith('text/html')) return false;
  const charset = /charset=([^;]+)/.exec(type)?.[1]?.trim().replace(/"/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8') return false;
  const encoding = headerText(res.getHeader('content-encoding'));
  return encoding === '' || encoding === 'identity';
}

function toBuffer(chunk: unknown, encoding?: BufferEncoding): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return Buffer.from(String(chunk));
}

function applyHeaders(res: Response, headers: unknown): void {
  if (Array.isArray(headers)) {
    // Node accepts [[name, value], …] and the flat [name, value, name, value, …].
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [name, value] of headers as Array<[string, string]>) res.setHeader(name, value);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(String(headers[i]), headers[i + 1]);
    }
  } else if (headers && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) res.setHeader(name, value as string | string[] | number);
    }
  }
}

/**
 * Wraps `res.writeHead`, `res.write` and `res.end` (which `res.send`,
 * `res.render` and `res.sendFile` all end in) so that an HTML response gets
 * `snippet` inserted. The decision is taken at the first write, when the
 * content type is known: other responses stream through untouched; HTML ones
 * are buffered, edited, and sent with a corrected Content-Length and no
 * validators (the page differs from what an ETag would describe, and a page
 * seen while impersonating must not be served from a cache afterwards).
 */
export function injectIntoHtmlResponses(res: Response, method: string, snippet: string): void {
  const original = { writeHead: res.writeHead, write: res.write, end: res.end };
  let decision: 'undecided' | 'inject' | 'pass' = 'undecided';
  let flushing = false;
  const chunks: Buffer[] = [];

  function decide(): 'inject' | 'pass' {
    if (decision === 'undecided') {
      decision = canInject(res, method) ? 'inject' : 'pass';
      if (decision === 'inject') {
        res.removeHeader('Content-Length');
        res.removeHeader('ETag');
        res.removeHeader('Last-Modified');
        res.setHeader('Cache-Control', 'no-store');
      }
    }
    return decision;
  }

  res.writeHead = function writeHead(this: Response, statusCode: number, ...rest: unknown[]) {
    if (flushing || decision === 'pass') return (original.writeHead as Function).call(this, statusCode, ...rest);
    const reason = typeof rest[0] === 'string' ? rest[0] : undefined;
    const headers = typeof rest[0] === 'string' ? rest[1] : rest[0];
    applyHeaders(res, headers);
    res.statusCode = statusCode;
    if (reason) res.statusMessage = reason;
    if (decide() === 'pass') return (original.writeHead as Function).call(this, statusCode, ...(reason ? [reason] : []));
    // Injecting: the head waits for the complete body (Node writes it implicitly at end()).
    return this;
  } as Response['writeHead'];

  res.write = function write(this: Response, chunk: unknown, encoding?: unknown, callback?: unknown) {
    if (flushing || decide() === 'pass') return (original.write as Function).apply(this, arguments);
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    if (chunk !== undefined && chunk !== null) chunks.push(toBuffer(chunk, encoding as BufferEncoding | undefined));
    if (typeof callback === 'function') process.nextTick(callback as () => void);
    return true;
  } as Response['write'];

  res.end = function end(this: Response, chunk?: unknown, encoding?: unknown, callback?: unknown) {
    if (flushing || decide() === 'pass') return (original.end as Function).apply(this, arguments);
    if (typeof chunk === 'function') {
      callback = chunk;
      chunk = undefined;
    } else if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    if (chunk !== undefined && chunk !== null) chunks.push(toBuffer(chunk, encoding as BufferEncoding | undefined));
    const document = Buffer.concat(chunks).toString('utf8');
    const edited = insertIntoDocument(document, snippet);
    const body = edited === null ? Buffer.concat(chunks) : Buffer.from(edited, 'utf8');
    flushing = true;
    if (!res.headersSent) res.setHeader('Content-Length', body.length);
    return (original.end as Function).call(this, body, ...(typeof callback === 'function' ? [callback] : []));
  } as Response['end'];
}
