import net from 'node:net';
import tls from 'node:tls';

export interface RedisPing {
  ok: boolean;
  /** What happened, for the finding: `PONG in 2 ms`, `connection refused`, `NOAUTH …`. */
  detail: string;
}

function encode(...parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
}

/**
 * Connects to `redis://[user:password@]host:port[/db]` (or `rediss://`), authenticates
 * if the URL says so, and sends PING: no client library needed, nothing written.
 */
export function pingRedis(url: string, timeoutMs = 2000): Promise<RedisPing> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, detail: 'not a URL (expected redis://host:6379)' });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    return Promise.resolve({ ok: false, detail: `not a Redis URL (${parsed.protocol}//…; expected redis:// or rediss://)` });
  }
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || 6379);
  const password = decodeURIComponent(parsed.password);
  const user = decodeURIComponent(parsed.username);
  const started = Date.now();

  return new Promise((resolve) => {
    const socket = parsed.protocol === 'rediss:' ? tls.connect({ host, port, servername: host }) : net.connect({ host, port });
    let buffer = '';
    let settled = false;
    const expected = password ? 2 : 1;
    const finish = (result: RedisPing) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.once(parsed.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => {
      socket.write((password ? encode('AUTH', ...(user ? [user] : []), password) : '') + encode('PING'));
    });
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      const replies = buffer.split('\r\n').filter((line) => line !== '');
      const error = replies.find((line) => line.startsWith('-'));
      if (error) finish({ ok: false, detail: error.slice(1) });
      else if (replies.length >= expected) {
        const last = replies[expected - 1];
        finish(last === '+PONG' ? { ok: true, detail: `PONG in ${Date.now() - started} ms` } : { ok: false, detail: `unexpected answer ${JSON.stringify(last)}` });
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, detail: err.code === 'ECONNREFUSED' ? `connection refused at ${host}:${port}` : err.message }));
  });
}
