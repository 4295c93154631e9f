/**
 * What the queue routes share: reading the path and the note, URLs, audit
 * subjects, and writing the audit event of a change already made in Redis.
 */
import type { Request, Response } from 'express';
import type { AuditEventInput } from '../../audit/audit-log';
import type { ConsoleContext } from '../../console-context';
import { readReason as readFormReason } from '../../http/forms';
import { badRequest, HttpError, notFound } from '../../http/http-error';
import { operatorOf, requestMeta } from '../../http/operator';
import type { JobView, QueueAdapter } from '../../queues/queue-adapter';
import { findQueue } from './queries';
import { pathValue } from './params';

/** The operator's note on a queue action (optional, at most 500 characters). */
export function readReason(req: Request): string | null {
  return readFormReason(req.body);
}

export function queueOf(ctx: ConsoleContext, req: Request): QueueAdapter {
  const name = pathValue(req.params.name, 'queue name');
  const queue = findQueue(ctx.queues, name);
  if (!queue) {
    const known = ctx.queues.map((q) => q.name);
    throw notFound(`No queue named "${name}". ${known.length ? `The console has: ${known.join(', ')}.` : 'No queues are connected (options.queues).'}`);
  }
  return queue;
}

export async function jobOf(queue: QueueAdapter, req: Request): Promise<JobView> {
  const id = pathValue(req.params.id, 'job id');
  const job = await queue.getJob(id);
  if (!job) throw notFound(`Queue "${queue.name}" has no job ${id}. It may have been removed, or cleaned after it finished.`);
  return job;
}

export function queueUrl(req: Request, queue: string, query: Record<string, string | number> = {}): string {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return `${req.baseUrl}/dev/queues/${encodeURIComponent(queue)}${qs ? `?${qs}` : ''}`;
}

export function jobUrl(req: Request, queue: string, id: string): string {
  return `${req.baseUrl}/dev/queues/${encodeURIComponent(queue)}/jobs/${encodeURIComponent(id)}`;
}

/** A bulk action's progress page. */
export function runUrl(req: Request, run: { queue: string; id: string }): string {
  return `${queueUrl(req, run.queue)}/runs/${encodeURIComponent(run.id)}`;
}

export function queueSubject(queue: QueueAdapter) {
  return { type: 'queue', id: queue.name, label: queue.name };
}

export function jobSubject(job: JobView) {
  return { type: 'job', id: `${job.queue}:${job.id}`, label: `${job.queue} #${job.id} ${job.name}` };
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

export function notSupported(queue: QueueAdapter, what: string): HttpError {
  return new HttpError(501, `Queue "${queue.name}" does not support ${what}: its adapter does not implement it.`);
}

export type RecordChange = (
  ctx: ConsoleContext,
  req: Request,
  res: Response,
  event: Omit<AuditEventInput, 'actor' | 'ip' | 'userAgent'>,
  done: string,
) => Promise<void>;

/**
 * Writes the audit event of a change already made in Redis (see the ordering
 * note in routes.ts): a failed write is a 503 that says the change was made
 * but is NOT in the audit log.
 */
export function changeRecorder(log: (message: string, err?: unknown) => void): RecordChange {
  return async (ctx, req, res, event, done) => {
    try {
      await ctx.audit.record({ ...event, actor: operatorOf(res), ...requestMeta(req) });
    } catch (err) {
      log(`express-backstage: ${event.action} was done in Redis but its audit event could not be written`, err);
      throw new HttpError(
        503,
        `${done}, but writing it to the audit log failed (the database refused it or did not answer), so this change is NOT in the audit log. Note what you did and tell engineering.`,
      );
    }
  };
}
