import { randomBytes } from 'node:crypto';
import type { ErrorRequestHandler, Request } from 'express';
import { AuditWriteError } from '../audit/audit-log';
import { HttpError } from './http-error';
import type { Operator } from './operator';
import type { Renderer } from './render';

interface Explained {
  status: number;
  message: string;
  details: string[];
  /** True for our own bugs and outages, where a reference id helps engineering find the log line. */
  unexpected: boolean;
}

/** Drivers that report a connection dropped mid-query without a code (pg, mysql2). */
const CONNECTION_LOST = /^(Connection terminated( unexpectedly| due to connection timeout)?|Client has encountered a connection error and is not queryable|Can't add new command when connection is in closed state|Connection lost: The server closed the connection\.)$/;
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'PROTOCOL_CONNECTION_LOST', '57P01', '57P03', 'SQLITE_BUSY']);

/**
 * Errors that carry a code naming what went wrong rather than a status (the queue adapters'
 * `QueueAdapterError`, see src/queues/queue-error.ts): the code says the status. Their
 * messages are written for operators; the library prefix is dropped on the page.
 */
const CODED_ERROR_STATUS = new Map<string, Map<string, number>>([
  ['QueueAdapterError', new Map([['REDIS_UNAVAILABLE', 503], ['JOB_NOT_FOUND', 404], ['INVALID_STATE', 409], ['INVALID_ARGUMENT', 400], ['NOT_SUPPORTED', 501]])],
]);

/** Turns anything thrown into a status and a sentence an operator understands. */
export function explainError(err: unknown): Explained {
  // Logged with a reference (engineering must look at the database), but the message is the operator's.
  if (err instanceof AuditWriteError) return { status: 503, message: err.message, details: [], unexpected: true };
  if (err instanceof HttpError) return { status: err.status, message: err.message, details: err.details, unexpected: false };
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; code?: unknown; message?: unknown; name?: unknown };
  const coded = typeof e?.name === 'string' && typeof e.code === 'string' ? CODED_ERROR_STATUS.get(e.name)?.get(e.code) : undefined;
  if (coded !== undefined) return { status: coded, message: String(e.message).replace(/^express-backstage:\s*/, ''), details: [], unexpected: false };
  if (e?.name === 'InvalidCursorError') return { status: 400, message: String(e.message), details: [], unexpected: false };
  if (e?.code === 'EBADCSRFTOKEN') return { status: 403, message: String(e.message), details: [], unexpected: false };
  if (e?.type === 'entity.too.large') return { status: 413, message: 'That form is too large to accept. Shorten the text and try again.', details: [], unexpected: false };
  if (e?.type === 'parameters.too.many') return { status: 413, message: 'That request has too many parameters.', details: [], unexpected: false };
  if (typeof e?.type === 'string' && e.type.startsWith('entity.') ) return { status: 400, message: 'The request body could not be read.', details: [], unexpected: false };
  if ((typeof e?.code === 'string' && CONNECTION_CODES.has(e.code)) || (typeof e?.message === 'string' && CONNECTION_LOST.test(e.message))) {
    return { status: 503, message: 'The database is not reachable right now. The console will work again as soon as it is back.', details: [], unexpected: true };
  }
  const status = Number(e?.status ?? e?.statusCode);
  if (Number.isInteger(status) && status >= 400 && status < 500) return { status, message: String(e.message ?? 'Bad request'), details: [], unexpected: false };
  return { status: 500, message: 'Something went wrong inside the console. The error has been logged.', details: [], unexpected: true };
}

function wantsJson(req: Request): boolean {
  return req.get('hx-request') !== 'true' && req.accepts(['html', 'json']) === 'json';
}

/**
 * The console's own error handler: a clear page (or htmx fragment, or JSON)
 * with the right status; the stack only for superusers; never the host's handler.
 */
export function consoleErrorHandler(renderer: Renderer, log: (message: string, err: unknown) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const explained = explainError(err);
    const reference = explained.unexpected ? randomBytes(4).toString('hex') : null;
    if (explained.unexpected) log(`express-backstage: ${req.method} ${req.originalUrl} failed (ref ${reference})`, err);
    if (res.headersSent) {
      res.end();
      return;
    }
    const operator = res.locals.backstageOperator as Operator | undefined;
    const stack = operator?.isSuperuser && err instanceof Error && explained.unexpected ? err.stack ?? null : null;
    res.status(explained.status);
    res.set('Cache-Control', 'no-store');
    res.vary('HX-Request');
    if (wantsJson(req)) {
      res.json({ error: explained.message, details: explained.details, reference });
      return;
    }
    const locals = { status: explained.status, message: explained.message, details: explained.details, reference, stack };
    const page = req.get('hx-request') === 'true' ? { fragment: 'partials/error', title: 'Error', section: '' } : { title: 'Error', section: '' };
    renderer.page(req, res, 'error', locals, { ...page, status: explained.status }).catch((renderErr) => {
      log('express-backstage: the error page itself failed to render', renderErr);
      if (!res.headersSent) res.type('text').send(explained.message);
    });
  };
}
