/**
 * A small HTTP client for hostile-input, fault and load suites: raw paths (no
 * URL normalisation, so `..%2F` and odd bytes reach the server as sent), a
 * cookie jar that follows `Set-Cookie`, keep-alive sockets, a timeout, and
 * event streams answered with their head only.
 */
import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Milliseconds from sending to the end of the response (or its head, for a stream). */
  ms: number;
}

export interface RawRequest {
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Default 15 s; a request still open then rejects. */
  timeoutMs?: number;
  /**
   * Another server to send this one request to, with the same cookies: a browser behind a load
   * balancer, whose requests reach whichever instance (cookies are per host, not per port).
   */
  origin?: string;
}

export class RawClient {
  readonly agent: http.Agent;
  private readonly cookies = new Map<string, string>();
  private readonly origin: URL;

  constructor(baseUrl: string, agent?: http.Agent) {
    this.origin = new URL(baseUrl);
    this.agent = agent ?? new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** A second client with this one's cookies (the same browser session), sharing the agent. */
  fork(): RawClient {
    const copy = new RawClient(this.origin.toString(), this.agent);
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    return copy;
  }

  request(method: string, path: string, options: RawRequest = {}): Promise<RawResponse> {
    const started = performance.now();
    const headers: Record<string, string> = { ...options.headers };
    const cookie = this.cookieHeader();
    if (cookie && !headers.cookie) headers.cookie = cookie;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    return new Promise((resolve, reject) => {
      const target = options.origin ? new URL(options.origin) : this.origin;
      const req = http.request(
        { host: target.hostname, port: target.port, method, path, headers, agent: this.agent },
        (res) => {
          for (const line of res.headers['set-cookie'] ?? []) {
            const [pair] = line.split(';');
            const eq = pair.indexOf('=');
            if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
          }
          if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
            clearTimeout(timer);
            res.destroy();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '', ms: performance.now() - started });
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started });
          });
          res.on('error', reject);
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new Error(`${method} ${path.slice(0, 200)} did not answer within ${options.timeoutMs ?? 15_000} ms`));
      }, options.timeoutMs ?? 15_000);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      if (options.body !== undefined) req.end(options.body);
      else req.end();
    });
  }

  get(path: string, options?: RawRequest): Promise<RawResponse> {
    return this.request('GET', path, options);
  }

  post(path: string, body: string | Buffer, options?: RawRequest): Promise<RawResponse> {
    return this.request('POST', path, { ...options, body });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Percent-encodes the UTF-8 bytes of `text` (a lone surrogate becomes U+FFFD, as browsers send it; encodeURIComponent would throw). */
export function encodeText(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `application/x-www-form-urlencoded` from pairs (a key may repeat). */
export function formBody(fields: Array<[string, string]> | Record<string, string>): string {
  const pairs = Array.isArray(fields) ? fields : Object.entries(fields);
  return pairs.map(([k, v]) => `${encodeText(k)}=${encodeText(v)}`).join('&');
}

/** The console's CSRF token from any console page (the hidden field, or the htmx header on <body>). */
export function csrfTokenIn(html: string): string | null {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? /x-csrf-token&#34;:&#34;([^&]+)&#34;/.exec(html)?.[1] ?? null;
}

/** Signs `client` in through the test host's `/test/sign-in/:id` and returns the console's CSRF token for its session. */
export async function signIn(client: RawClient, userId: string, consoleBase = '/admin'): Promise<string> {
  const signed = await client.get(`/test/sign-in/${encodeURIComponent(userId)}`);
  if (signed.status !== 200) throw new Error(`sign-in as ${userId} answered ${signed.status}`);
  return consoleToken(client, consoleBase);
}

export async function consoleToken(client: RawClient, consoleBase = '/admin'): Promise<string> {
  const page = await client.get(`${consoleBase}/`);
  const token = csrfTokenIn(page.text);
  if (!token) throw new Error(`no CSRF token on ${consoleBase}/ (status ${page.status})`);
  return token;
}
