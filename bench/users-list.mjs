// Users list server time on the seeded demo (SQLite): the first page, and a
// deep page reached by walking the cursors to the end of the list.
//   npm run build && node bench/users-list.mjs
import { createApp } from '../examples/saas-app/app.mjs';
import { openDatabase } from '../examples/saas-app/db.mjs';
import { createSchema } from '../examples/saas-app/schema.mjs';
import { needsSeed, seedDemoData } from '../examples/saas-app/seed.mjs';
import { listen, ms, request, timeRequests } from './lib.mjs';

const { db, dialect, label } = await openDatabase(process.env.DATABASE_URL);
await createSchema(db, dialect);
if (await needsSeed(db)) await seedDemoData({ db, dialect, log: { info() {}, warn() {}, error: console.error } });
const host = await createApp({ db, dialect, redisUrl: null, log: { info() {}, warn() {}, error: console.error } });
const { server, base } = await listen(host.app);

const login = await request(base, '/login', { method: 'POST', body: 'email=admin%40demo.test&password=backstage&next=%2Fadmin' });
const cookie = String(login.headers['set-cookie']).split(';')[0];

let path = '/admin/users?limit=50';
let pages = 0;
let deepPath = path;
for (;;) {
  const res = await request(base, path, { cookie });
  pages++;
  const next = /rel="next" href="([^"]+)"/.exec(res.body);
  if (!next) break;
  deepPath = path;
  path = next[1].replace(/&amp;/g, '&');
}

const rows = [
  ['first page (limit 50, newest first)', await timeRequests(base, '/admin/users?limit=50', { cookie })],
  [`deep page (page ${pages - 1} of ${pages}, by cursor)`, await timeRequests(base, deepPath, { cookie })],
  ['search "acme" (contains, email or name)', await timeRequests(base, '/admin/users?q=acme', { cookie })],
  ['filter role=admin', await timeRequests(base, '/admin/users?role=admin', { cookie })],
];
console.log(`\nUsers list on the seeded demo (${label}), loopback, keep-alive, 50 runs after 5 warm-up\n`);
console.log('| request | p50 | p95 |\n|---|---|---|');
for (const [name, s] of rows) console.log(`| ${name} | ${ms(s.p50)} | ${ms(s.p95)} |`);
server.close();
await host.close();
await db.destroy();
