// Starts the Tasklane demo: `npm run demo` from the repository root.
//
//   PORT                 HTTP port (3000)
//   DATABASE_URL         postgres://… or mysql://… (unset: SQLite at examples/saas-app/data/demo.sqlite)
//   REDIS_URL            Redis for the `mail` queue (redis://127.0.0.1:6379)
//   SESSION_SECRET       express-session secret (a fixed demo value)
//   DEMO_SIZE=1m         (or `npm run demo -- --size=1m`) top the demo up to a million users (250k, 50000, …)
//   DEMO_JOBS=100k       (or `npm run demo -- --jobs=100k`) top the mail queue up to 100,000 sent and failed mails, indexed
//   BACKSTAGE_DISABLED=1 run the host without the console (only for working on the host itself)
import { createApp } from './app.mjs';
import { openDatabase, SQLITE_FILE } from './db.mjs';
import { createSchema } from './schema.mjs';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, needsSeed, requestedDemoUsers, seedDemoData, seedDemoToScale } from './seed.mjs';
import { requestedDemoJobs, seedMailHistory } from './seed-jobs.mjs';

const port = Number(process.env.PORT ?? 3000);
const url = `http://localhost:${port}`;
const backstage = process.env.BACKSTAGE_DISABLED !== '1';
const log = { info: (...a) => console.log(...a), warn: (...a) => console.warn(...a), error: (...a) => console.error(...a) };

const { db, dialect, label } = await openDatabase(process.env.DATABASE_URL);
await createSchema(db, dialect);
const host = await createApp({
  db,
  dialect,
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  sessionSecret: process.env.SESSION_SECRET,
  backstage,
  appUrl: url,
  log,
});
if (await needsSeed(db)) {
  log.info(`seed: ${label} is empty, creating demo data…`);
  await seedDemoData({ db, dialect, mailQueue: host.mailQueue, log });
}
const scale = requestedDemoUsers();
if (scale) await seedDemoToScale({ db, dialect, users: scale, databaseUrl: process.env.DATABASE_URL?.replace(/^mariadb:/, 'mysql:') || `sqlite:${SQLITE_FILE}`, log });
const jobs = requestedDemoJobs();
if (jobs && !host.mailQueue) log.warn('seed: DEMO_JOBS needs Redis for the mail queue; it is not reachable, so no jobs were added.');
if (jobs && host.mailQueue) await seedMailHistory({ db, queue: host.mailQueue, total: jobs, redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', log });

const server = host.app.listen(port, async (error) => {
  if (error) {
    console.error(`Cannot listen on port ${port}: ${error.message}`);
    await host.close();
    await db.destroy();
    process.exit(1);
  }
  const width = Math.max(...DEMO_ACCOUNTS.map((a) => a.email.length));
  console.log(
    [
      '',
      `Tasklane demo:     ${url}   (${label})`,
      backstage ? `Operator console:  ${url}/admin` : 'Operator console:  off (BACKSTAGE_DISABLED=1)',
      `Demo accounts, password "${DEMO_PASSWORD}":`,
      ...DEMO_ACCOUNTS.map((a) => `  ${a.email.padEnd(width)}  ${a.description}`),
      '',
    ].join('\n'),
  );
});

let stopping = false;
async function shutdown(signal) {
  if (stopping) {
    console.log('Forced exit.');
    process.exit(1);
  }
  stopping = true;
  console.log(`${signal}: shutting down…`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  await new Promise((resolve) => {
    server.close(resolve);
    server.closeIdleConnections();
    // long-lived responses (the console's live updates) get two seconds, then are cut
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  });
  await host.close();
  await db.destroy();
  clearTimeout(force);
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
