import { createRequire } from 'node:module';
import path from 'node:path';
import { QueueJobIndex } from '../queues/job-index';
import type { JobLinkKind } from '../options';
import { parseCommandArgs, redactUrl, stringValue } from './args';
import { CliError } from './config';
import { UsageError, type CliCommand } from './io';

/** Every list and sorted set Bull or BullMQ keeps jobs in (a key the library does not use is simply empty). */
const STATE_KEYS = [
  { type: 'wait', kind: 'list' },
  { type: 'paused', kind: 'list' },
  { type: 'active', kind: 'list' },
  { type: 'prioritized', kind: 'zset' },
  { type: 'delayed', kind: 'zset' },
  { type: 'waiting-children', kind: 'zset' },
  { type: 'failed', kind: 'zset' },
  { type: 'completed', kind: 'zset' },
] as const;

interface RedisClient {
  status?: string;
  quit(): Promise<unknown>;
  disconnect(): void;
}

export const indexJobsCommand: CliCommand = {
  name: 'index-jobs',
  summary: "Backfill the job index of a Bull or BullMQ queue, so user and team pages find every job.",
  usage: `Usage: express-backstage index-jobs --redis <url> --queue <name> [--prefix bull] [--link team=teamId]…

Walks every job of the queue, 1,000 ids per step with a short pause between
steps, and records which user and team each belongs to (the same index the
console keeps from the queue's events). Resumable: run it again after an
interruption and it carries on where it stopped. Only one backfill runs per
queue at a time, whether started here or from the queue's page.

  --redis <url>           the queue's Redis (redis://…)
  --queue <name>          the queue's name
  --prefix <prefix>       the queue's key prefix (default: bull, as both libraries)
  --link <kind>=<path>    a data path per link, as options.jobLinks
                          (default: user=userId and team=teamId)
  --pause <ms>            pause between steps (default 50)`,

  async run(args, io) {
    const { values } = parseCommandArgs(
      'index-jobs',
      args,
      { redis: { type: 'string' }, queue: { type: 'string' }, prefix: { type: 'string' }, link: { type: 'string', multiple: true }, pause: { type: 'string' } },
      0,
    );
    const url = stringValue(values, 'redis');
    const queue = stringValue(values, 'queue');
    if (!url) throw new UsageError('index-jobs: --redis <url> is required');
    if (!queue) throw new UsageError('index-jobs: --queue <name> is required');
    const prefix = stringValue(values, 'prefix') ?? 'bull';
    const pauseMs = Number(stringValue(values, 'pause') ?? 50);
    if (!Number.isInteger(pauseMs) || pauseMs < 0) throw new UsageError('index-jobs: --pause must be a whole number of milliseconds');
    const linkArgs = (values as Record<string, unknown>).link as string[] | undefined;
    const links: Partial<Record<JobLinkKind, string | null>> = linkArgs?.length ? {} : { user: 'userId', team: 'teamId' };
    for (const arg of linkArgs ?? []) {
      const match = /^(user|team)=([A-Za-z0-9_$][\w$]*(?:\.[\w$]+)*)$/.exec(arg);
      if (!match) throw new UsageError(`index-jobs: --link must be user=<path> or team=<path> (a dotted data path), got "${arg}"`);
      links[match[1] as JobLinkKind] = match[2]!;
    }

    let Redis: new (url: string, options: object) => RedisClient;
    try {
      const required = createRequire(path.join(io.cwd, 'package.json'))('ioredis') as { default?: unknown };
      Redis = (required.default ?? required) as typeof Redis;
    } catch {
      throw new CliError('express-backstage index-jobs: ioredis is not installed here (Bull and BullMQ bring it: run this in the app that uses them).');
    }
    const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
    try {
      await new Promise<void>((resolve, reject) => {
        const c = client as unknown as { once(event: string, fn: (err?: Error) => void): void };
        if (client.status === 'ready') resolve();
        c.once('ready', () => resolve());
        c.once('error', (err) => reject(new CliError(`express-backstage index-jobs: could not reach Redis at ${redactUrl(url)}: ${err?.message ?? 'error'}`)));
      });
      const index = new QueueJobIndex(
        { client: async () => client, key: (type) => `${prefix}:${queue}:${type}`, stateKeys: () => STATE_KEYS },
        queue,
        links,
        { pauseMs, timeoutMs: 30_000, log: (message, err) => io.out(`${message}${err instanceof Error ? `: ${err.message}` : ''}`) },
      );
      if ((await index.startBackfill()) === 'running') {
        const progress = await index.progress();
        io.out(`A backfill of "${queue}" is already running elsewhere: ${progress.indexed.toLocaleString('en-US')} of ${progress.total.toLocaleString('en-US')} jobs indexed.`);
        return 1;
      }
      const started = Date.now();
      const ticker = setInterval(() => {
        void index.progress().then((p) => io.out(`${p.indexed.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} jobs indexed…`), () => undefined);
      }, 5000);
      try {
        await index.whenBackfilled();
      } finally {
        clearInterval(ticker);
      }
      const progress = await index.progress();
      const seconds = (Date.now() - started) / 1000;
      if (progress.status !== 'done') {
        io.out(`The backfill of "${queue}" stopped at ${progress.indexed.toLocaleString('en-US')} of ${progress.total.toLocaleString('en-US')} jobs; run the command again to resume.`);
        return 1;
      }
      io.out(`Indexed ${progress.indexed.toLocaleString('en-US')} jobs of "${queue}" in ${seconds.toFixed(1)} s.`);
      return 0;
    } finally {
      await client.quit().catch(() => client.disconnect());
    }
  },
};
