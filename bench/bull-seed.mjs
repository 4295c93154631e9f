// Seeds a Bull queue with N finished jobs by writing Bull's own Redis structures
// with pipelined commands (job hashes + the completed/failed sorted sets + the id
// counter, the shape Bull's moveToFinished leaves), and checks that Bull reads
// them back. Shared by bench/queues.mjs and bench/bull-board-compare.mjs.
const CHUNK = 5000;

const STACK = [
  'Error: SMTP 451 4.7.1 temporary failure, try again later (bench)',
  '    at SMTPConnection._formatError (/app/node_modules/nodemailer/lib/smtp-connection/index.js:790:19)',
  '    at SMTPConnection._actionMAIL (/app/node_modules/nodemailer/lib/smtp-connection/index.js:1580:34)',
  '    at sendInvitation (/app/src/jobs/send-invitation.js:42:11)',
  '    at Queue.<anonymous> (/app/src/worker.js:18:5)',
].join('\n');

/** Job `id` as Bull leaves it once finished: every 100th failed (after 3 attempts), the rest completed. */
function jobFields(id, t0) {
  const created = t0 + id * 10;
  const failed = id % 100 === 0;
  const fields = {
    name: '__default__',
    data: JSON.stringify({ type: 'send-invitation', invitationId: id, teamId: id % 5000, userId: id % 20000, email: `user${id}@example.test` }),
    opts: JSON.stringify({ attempts: 3, backoff: { type: 'exponential', delay: 1000 }, delay: 0, timestamp: created }),
    timestamp: String(created),
    delay: '0',
    priority: '0',
    processedOn: String(created + 3),
    finishedOn: String(created + 5),
  };
  if (failed) Object.assign(fields, { failedReason: 'SMTP 451 4.7.1 temporary failure, try again later (bench)', stacktrace: JSON.stringify([STACK]), attemptsMade: '3' });
  else fields.returnvalue = JSON.stringify({ messageId: `<${id}@mail.example.test>` });
  return { failed, fields, finished: created + 5 };
}

export async function seed(redis, queue, size) {
  const t0 = Date.now() - size * 10 - 60_000;
  const started = Date.now();
  for (let from = 1; from <= size; from += CHUNK) {
    const pipe = redis.pipeline();
    for (let id = from; id < Math.min(from + CHUNK, size + 1); id++) {
      const { failed, fields, finished } = jobFields(id, t0);
      pipe.hset(queue.toKey(String(id)), fields);
      pipe.zadd(queue.toKey(failed ? 'failed' : 'completed'), finished, String(id));
    }
    await pipe.exec();
  }
  await redis.set(queue.toKey('id'), String(size));
  const detail = size / 2 - ((size / 2) % 100); // a failed job in the middle
  await redis.rpush(queue.toKey(`${detail}:logs`), 'connecting to smtp.example.test:587', 'MAIL FROM accepted', 'RCPT TO refused: 451 4.7.1');
  return { seconds: (Date.now() - started) / 1000, detail };
}

/** Bull must read back what we wrote, or the numbers below mean nothing. */
export async function verify(queue, size, detail) {
  const failed = Math.floor(size / 100);
  const counts = await queue.getJobCounts();
  if (counts.completed !== size - failed || counts.failed !== failed) throw new Error(`counts read back wrong: ${JSON.stringify(counts)}`);
  const job = await queue.getJob(String(detail));
  if (!job || job.failedReason !== 'SMTP 451 4.7.1 temporary failure, try again later (bench)' || job.stacktrace.length !== 1 || job.attemptsMade !== 3 || job.data.invitationId !== detail || job.opts.attempts !== 3 || !job.finishedOn) {
    throw new Error(`failed job ${detail} read back wrong: ${JSON.stringify(job && job.toJSON())}`);
  }
  if ((await job.getState()) !== 'failed') throw new Error('failed job is not in the failed set');
  const done = await queue.getJob('1');
  if (!done || done.returnvalue.messageId !== '<1@mail.example.test>' || (await done.getState()) !== 'completed') throw new Error('completed job 1 read back wrong');
  const [newest] = await queue.getJobs(['failed'], 0, 0);
  if (String(newest.id) !== String(failed * 100)) throw new Error(`newest failed is ${newest.id}, expected ${failed * 100}`);
  const logs = await queue.getJobLogs(String(detail));
  if (logs.count !== 3) throw new Error('logs read back wrong');
}

export async function unseed(redis, queue, size) {
  for (let from = 1; from <= size; from += CHUNK * 4) {
    const pipe = redis.pipeline();
    for (let id = from; id < Math.min(from + CHUNK * 4, size + 1); id++) pipe.unlink(queue.toKey(String(id)));
    await pipe.exec();
  }
  const rest = await redis.keys(`${queue.keyPrefix}:${queue.name}:*`);
  if (rest.length) await redis.unlink(...rest);
}

