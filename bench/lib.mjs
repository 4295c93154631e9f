// Shared helpers for the benchmarks: an HTTP client on loopback with keep-alive,
// a signed-in cookie jar, and percentiles. Benchmarks print Markdown tables.
import http from 'node:http';

export function percentile(samples, p) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summary(samples) {
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), n: samples.length };
}

export const ms = (value) => `${value.toFixed(2)} ms`;

/** Starts `app` on a free loopback port. */
export function listen(app) {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${server.address().port}` }));
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** One request; resolves with status, headers, body and the elapsed milliseconds. */
export function request(base, path, { method = 'GET', cookie, body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(`${base}${path}`, { method, agent, headers: { ...(cookie ? { cookie } : {}), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Times `path` `runs` times after `warmup` unmeasured runs; fails loudly on a non-2xx. */
export async function timeRequests(base, path, { cookie, runs = 50, warmup = 5 } = {}) {
  const samples = [];
  for (let i = 0; i < warmup + runs; i++) {
    const res = await request(base, path, { cookie });
    if (res.status >= 300) throw new Error(`${path} answered ${res.status}`);
    if (i >= warmup) samples.push(res.ms);
  }
  return summary(samples);
}
