/**
 * Reading Server-Sent Events in tests: a real HTTP server and a raw client
 * that records every frame, so a suite can wait for an event without waiting
 * for a stream that never ends.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Served {
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

export async function serve(app: http.RequestListener): Promise<Served> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Signs in through the test host's `/test/sign-in/:id` and returns the session cookie. */
export async function signInCookie(base: string, userId: string): Promise<string> {
  const res = await fetch(`${base}/test/sign-in/${userId}`);
  const cookie = res.headers.get('set-cookie');
  if (!cookie) throw new Error('no session cookie');
  return cookie.split(';')[0];
}

export interface SseFrame {
  event: string | null;
  data: string | null;
  comment: string | null;
  retry: number | null;
}

export interface Stream {
  status: number;
  headers: http.IncomingHttpHeaders;
  frames: SseFrame[];
  /** Events with a `data:` line, JSON-parsed. */
  events(name?: string): Array<{ event: string; data: any }>;
  waitFor(predicate: (frames: SseFrame[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
  body: string;
}

export function openStream(base: string, path: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const frames: SseFrame[] = [];
      let buffer = '';
      let body = '';
      let endedResolve: () => void = () => {};
      const ended = new Promise<void>((r) => {
        endedResolve = r;
      });
      const waiters = new Set<() => void>();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const frame: SseFrame = { event: null, data: null, comment: null, retry: null };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('data: ')) frame.data = (frame.data === null ? '' : `${frame.data}\n`) + line.slice(6);
            else if (line.startsWith('retry: ')) frame.retry = Number(line.slice(7));
          }
          frames.push(frame);
        }
        for (const wake of [...waiters]) wake();
      });
      const finish = () => {
        endedResolve();
        for (const wake of [...waiters]) wake();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      const stream: Stream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames,
        get body() {
          return body;
        },
        events(name) {
          return frames
            .filter((f) => f.data !== null && f.event !== null && (name === undefined || f.event === name))
            .map((f) => ({ event: f.event!, data: JSON.parse(f.data!) }));
        },
        waitFor(predicate, timeoutMs = 3000, what = 'the expected events') {
          if (predicate(frames)) return Promise.resolve();
          return new Promise<void>((ok, fail) => {
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(frames).slice(0, 1500)}`));
            }, timeoutMs);
            const check = () => {
              if (predicate(frames)) {
                clearTimeout(timer);
                waiters.delete(check);
                ok();
              }
            };
            waiters.add(check);
          });
        },
        ended,
        close() {
          req.destroy();
        },
      };
      resolve(stream);
    });
    req.on('error', reject);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
