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

/**
 * The console mounted in an Express app over an in-memory SQLite users table,
 * with one operator (`role`) signed in: `{ base, cookie, csrf, close }`.
 * `options` go to createAdmin (queues, live, queueBulkCap…); errors are off.
 */
export async function signedInConsole(createAdmin, { role = 'superuser', ...options } = {}) {
  const [{ default: express }, { default: session }, { default: Database }, { Kysely, SqliteDialect }] = await Promise.all([
    import('express'),
    import('express-session'),
    import('better-sqlite3'),
    import('kysely'),
  ]);
  const db = new Kysely({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  await db.schema.createTable('users').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('email', 'text').addColumn('name', 'text').addColumn('role', 'text').addColumn('created_at', 'text').execute();
  const operator = { id: 1, email: `${role}@ops.test`, role };
  await db.insertInto('users').values({ ...operator, name: role, created_at: new Date().toISOString() }).execute();
  const app = express();
  app.use(session({ secret: 'bench-secret-bench-secret', resave: false, saveUninitialized: false }));
  app.get('/signin', (req, res) => {
    req.session.user = operator;
    res.send('ok');
  });
  const admin = createAdmin({ db, getUser: (req) => req.session?.user ?? null, errors: false, ...options });
  await admin.migrate();
  await admin.ready();
  app.use('/admin', admin);
  const { server, base } = await listen(app);
  const cookie = String((await request(base, '/signin')).headers['set-cookie']).split(';')[0];
  const home = await request(base, '/admin/', { cookie });
  const csrf = /x-csrf-token&#34;:&#34;([^&]+)&#34;/.exec(home.body)?.[1];
  if (home.status !== 200 || !csrf) throw new Error(`the console did not open (${home.status})`);
  return {
    base,
    cookie,
    csrf,
    close: async () => {
      server.closeAllConnections?.();
      server.close();
      await admin.close();
      await db.destroy();
    },
  };
}

/**
 * Reads `<base>/admin/live?topics=<topic>` as a page would and calls `onEvent(payload)` for each
 * event of that topic; resolves once the stream is open, with `{ close }`.
 */
export function readLiveStream(base, cookie, topic, onEvent) {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/admin/live?topics=${topic}`, { headers: { cookie, accept: 'text/event-stream' }, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`the live stream answered ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buffer += chunk;
        let at;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          if (!block.startsWith(`event: ${topic}\n`)) continue;
          onEvent(JSON.parse(block.slice(block.indexOf('data: ') + 6)).payload);
        }
      });
      resolve({ close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}
