// A page of 20 delayed jobs of 5 MB each: the list as the console reads it (data over 64 KB left in
// Redis) against the same jobs loaded whole, as lists did before. npm run build && node bench/big-payloads.mjs
import Bull from 'bull';
import { BullQueueAdapter } from '../dist/index.js';
const q = new Bull('big-list', 'redis://127.0.0.1:6379', { prefix: 'bs-bench-big' });
await q.obliterate({ force: true }).catch(() => {});
const blob = 'x'.repeat(5 * 1024 * 1024);
for (let i = 0; i < 20; i++) await q.add({ i, blob }, { delay: 3_600_000 });
const a = new BullQueueAdapter(q, { timeoutMs: 60_000 });
const time = async (label, fn) => { const s = []; for (let i = 0; i < 8; i++) { const t = process.hrtime.bigint(); await fn(); s.push(Number(process.hrtime.bigint() - t) / 1e6); } s.sort((x, y) => x - y); console.log(label, 'median', s[4].toFixed(1), 'ms', 'max', s[7].toFixed(1), 'ms'); };
const ids = (await a.listJobs('delayed', { size: 20 })).jobs.map((j) => j.id);
await time('list page of 20 × 5 MB jobs (listJobs, data left in Redis)', () => a.listJobs('delayed', { size: 20 }));
await time('the same 20 jobs loaded whole (getJob each, the old list path)', () => Promise.all(ids.map((id) => a.getJob(id))));
await q.obliterate({ force: true });
await q.close();
