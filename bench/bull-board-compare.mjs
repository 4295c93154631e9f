// Head to head with bull-board, on the same Bull queue in the same Redis, in the
// same process and the same Express app: our queue pages (HTML, through the role
// gate, session and EJS) against bull-board's JSON API for the same views (what
// its UI fetches on every 5 s poll of every open tab).
//
//   npm run build
//   npm --prefix bench/bull-board install          (bull-board lives only there)
//   node bench/bull-board-compare.mjs              (REDIS_URL, SIZES=10000,100000,1000000, RUNS=50)
import { createRequire } from 'node:module';
import express from 'express';
import session from 'express-session';
import Database from 'better-sqlite3';
import Bull from 'bull';
import Redis from 'ioredis';
import { Kysely, SqliteDialect } from 'kysely';
import { createAdmin } from '../dist/index.js';
import { seed, unseed, verify } from './bull-seed.mjs';
import { listen, ms, request, timeRequests } from './lib.mjs';

const requireBoard = createRequire(new URL('./bull-board/package.json', import.meta.url));
const { createBullBoard } = requireBoard('@bull-board/api');
const { BullAdapter } = requireBoard('@bull-board/api/bullAdapter');
const { ExpressAdapter } = requireBoard('@bull-board/express');

const REDIS_URL = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SIZES = (process.env.SIZES ?? '10000,100000,1000000').split(',').map(Number);
const RUNS = Number(process.env.RUNS ?? 50);
const PREFIX = `bs-bench-bb-${process.pid}`;
const PAGE = 20;
const redis = new Redis(REDIS_URL);

async function appFor(queue) {
  const db = new Kysely({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  await db.schema.createTable('users').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('email', 'text').addColumn('name', 'text').addColumn('role', 'text').addColumn('created_at', 'text').execute();
  const app = express();
  app.use(session({ secret: 'bench-secret-bench-secret', resave: false, saveUninitialized: false }));
  app.get('/signin', (req, res) => {
    req.session.user = { id: 1, email: 'root@ops.test', role: 'superuser' };
    res.send('ok');
  });
  const admin = createAdmin({ db, getUser: (req) => req.session?.user ?? null, queues: [queue], errors: false, live: false });
  await admin.migrate();
  await admin.ready();
  app.use('/admin', admin);
  const board = new ExpressAdapter();
  board.setBasePath('/bull-board');
  createBullBoard({ queues: [new BullAdapter(queue)], serverAdapter: board });
  app.use('/bull-board', board.getRouter());
  const { server, base } = await listen(app);
  const cookie = String((await request(base, '/signin')).headers['set-cookie']).split(';')[0];
  return { base, cookie, close: async () => (server.close(), await admin.close(), await db.destroy()) };
}

const lines = [];
for (const size of SIZES) {
  const name = `bb-${size}`;
  const queue = new Bull(name, REDIS_URL, { prefix: PREFIX });
  queue.on('error', () => undefined);
  await unseed(redis, queue, size);
  const { detail } = await seed(redis, queue, size);
  await verify(queue, size, detail);
  const app = await appFor(queue);
  const failed = Math.floor(size / 100);
  const failedPage = Math.max(1, Math.floor((failed / PAGE) * 0.9));
  const q = `/admin/dev/queues/${name}`;
  const bb = `/bull-board/api/queues?activeQueue=${name}&jobsPerPage=${PAGE}`;
  const check = await request(app.base, `${bb}&status=failed&page=${failedPage}`);
  if (check.status !== 200 || !check.body.includes('SMTP 451')) throw new Error(`bull-board answered ${check.status}`);
  const views = [
    ['overview: counts of every queue', '/admin/dev/queues', `${bb}&status=latest&page=1`],
    [`failed jobs, page ${failedPage} (90% deep)`, `${q}?state=failed&page=${failedPage}`, `${bb}&status=failed&page=${failedPage}`],
    ['one failed job with its logs', `${q}/jobs/${detail}`, `/bull-board/api/queues/${name}/${detail}`],
  ];
  for (const [view, ours, theirs] of views) {
    const a = await timeRequests(app.base, ours, { cookie: app.cookie, runs: RUNS });
    const b = await timeRequests(app.base, theirs, { runs: RUNS });
    lines.push(`| ${size.toLocaleString('en-US')} | ${view} | ${ms(a.p50)} / ${ms(a.p95)} | ${ms(b.p50)} / ${ms(b.p95)} | ${(b.p50 / a.p50).toFixed(1)}× |`);
  }
  await app.close();
  await unseed(redis, queue, size);
  await queue.close();
  console.error(`done: ${size.toLocaleString('en-US')} jobs`);
}
console.log('\n| jobs | view | ours p50 / p95 (HTML page) | bull-board p50 / p95 (JSON API) | bull-board ÷ ours |\n|---:|---|---:|---:|---:|');
console.log(lines.join('\n'));
await redis.quit();
