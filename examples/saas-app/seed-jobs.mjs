// `DEMO_JOBS=100k npm run demo` (or `npm run demo -- --jobs=100k`): a mail queue with the
// history of a busy app. Sent mails are written straight into Bull's own Redis structures
// (job hashes, the completed/failed sorted sets, the id counter: what Bull's moveToFinished
// leaves), pipelined, because adding a hundred thousand jobs one by one and running them
// would take minutes. 1 % of them failed with an SMTP error; their team and user are real
// rows of the demo, so team and user pages list them. One more job failed for Acme with a
// 5 MB attachment, the "huge payload" an operator must be able to open. Then the console's
// job index is backfilled with the `index-jobs` command, as a host would after installing
// the console on a queue that already had history.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { MAIL_JOB } from './mail-queue.mjs';
import { requestedCount } from './seed.mjs';

const CHUNK = 5000;
const SMTP_FAILURES = [
  'SMTP 451 4.7.1 temporary failure, try again later',
  'SMTP 421 4.4.2 connection timed out while sending DATA',
  'SMTP 550 5.1.1 recipient address rejected: user unknown',
];

/** `--jobs=100k` / `DEMO_JOBS=100k` → 100000; null when not asked. */
export function requestedDemoJobs(argv = process.argv.slice(2), env = process.env) {
  return requestedCount('jobs', 'DEMO_JOBS', argv, env);
}

function stackFor(reason) {
  return [
    `Error: ${reason}`,
    '    at SMTPConnection._formatError (/app/node_modules/nodemailer/lib/smtp-connection/index.js:790:19)',
    '    at SMTPConnection._actionRCPT (/app/node_modules/nodemailer/lib/smtp-connection/index.js:1692:24)',
    '    at sendInvitation (/app/src/jobs/send-invitation.js:42:11)',
  ].join('\n');
}

/**
 * Tops the mail queue up to `total` finished jobs (nothing when it already has them).
 * @returns {Promise<{ added: number, seconds: number } | null>}
 */
export async function seedMailHistory({ db, queue, total, redisUrl, log = console }) {
  const counts = await queue.getJobCounts();
  const have = counts.completed + counts.failed;
  if (have >= total) return null;
  const started = Date.now();
  const links = await db.selectFrom('memberships').select(['team_id', 'user_id']).orderBy('team_id').limit(50_000).execute();
  const acme = await db.selectFrom('teams').select(['id', 'owner_id']).where('slug', '=', 'acme').executeTakeFirst();
  const redis = queue.client;
  const need = total - have;
  const last = await redis.incrby(queue.toKey('id'), need + 1);
  const first = last - need;
  const t0 = Date.now() - need * 20 - 60_000;
  for (let from = first; from < last; from += CHUNK) {
    const pipe = redis.pipeline();
    for (let id = from; id < Math.min(from + CHUNK, last); id++) {
      const n = id - first;
      const link = links[n % links.length];
      const created = t0 + n * 20;
      const failed = n % 100 === 37;
      const fields = {
        name: MAIL_JOB,
        data: JSON.stringify({ type: 'send-invitation', invitationId: 1_000_000 + n, teamId: link.team_id, userId: link.user_id, email: `colleague${n}@customer${link.team_id}.test` }),
        opts: JSON.stringify({ attempts: 3, backoff: { type: 'exponential', delay: 1000 }, delay: 0, timestamp: created }),
        timestamp: String(created),
        delay: '0',
        priority: '0',
        processedOn: String(created + 40),
        finishedOn: String(created + 45),
      };
      if (failed) {
        const reason = SMTP_FAILURES[n % SMTP_FAILURES.length];
        Object.assign(fields, { failedReason: reason, stacktrace: JSON.stringify([stackFor(reason), stackFor(reason), stackFor(reason)]), attemptsMade: '3' });
      } else {
        Object.assign(fields, { returnvalue: JSON.stringify({ messageId: `<${id}@mail.tasklane.test>` }), attemptsMade: '1' });
      }
      pipe.hset(queue.toKey(String(id)), fields);
      pipe.zadd(queue.toKey(failed ? 'failed' : 'completed'), created + 45, String(id));
    }
    await pipe.exec();
  }
  // Acme's monthly report, mailed with a 5 MB attachment the SMTP server refused.
  const reason = 'SMTP 552 5.3.4 message size exceeds fixed limit';
  const huge = last;
  const now = Date.now();
  await redis.hset(queue.toKey(String(huge)), {
    name: 'send-report',
    data: JSON.stringify({ type: 'monthly-report', teamId: acme?.id ?? 1, userId: acme?.owner_id ?? 1, email: 'owner@acme.test', attachment: { filename: 'acme-usage.csv', contentBase64: 'QUNNRSx1c2FnZQo='.repeat(350_000) } }),
    opts: JSON.stringify({ attempts: 1, delay: 0, timestamp: now - 5000 }),
    timestamp: String(now - 5000),
    delay: '0',
    priority: '0',
    processedOn: String(now - 4000),
    finishedOn: String(now - 3900),
    failedReason: reason,
    stacktrace: JSON.stringify([stackFor(reason)]),
    attemptsMade: '1',
  });
  await redis.zadd(queue.toKey('failed'), now - 3900, String(huge));
  log.info(`seed: ${need.toLocaleString('en-US')} sent and failed mails written to the mail queue in ${((Date.now() - started) / 1000).toFixed(1)} s, plus job ${huge} with a 5 MB attachment`);

  // What a host does after installing the console on a queue with history: backfill the job index.
  const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  const indexed = Date.now();
  await promisify(execFile)(process.execPath, [cli, 'index-jobs', '--redis', redisUrl, '--queue', queue.name, '--prefix', 'tasklane', '--pause', '5'], { maxBuffer: 16 * 1024 * 1024 });
  log.info(`seed: job index backfilled (npx express-backstage index-jobs) in ${((Date.now() - indexed) / 1000).toFixed(1)} s`);
  return { added: need + 1, seconds: (Date.now() - started) / 1000 };
}
