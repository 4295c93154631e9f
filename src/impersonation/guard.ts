import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ConsoleContext } from '../console-context';
import { handle } from '../http/handle';
import { requestMeta } from '../http/operator';
import { BANNER_STYLESHEET, bannerFor } from './banner';
import { injectIntoHtmlResponses } from './html-injector';
import { clearRecord, hasRecordKey, readRecord, regenerateSession, type ImpersonationRecord } from './impersonation-record';
import type { ImpersonationRuntime } from './runtime';
import { killOf } from './kill-switch';
import { dropRecord, effectiveUserId, endSignedOut, reloadOperator, returnToOperator } from './session-switch';

/** The cookie of the console's own session (src/http/console-session.ts), used when the host has no express-session. */
const OWN_SESSION_COOKIE = 'backstage.sid=';

function pathOf(req: Request): string {
  const url = req.originalUrl ?? req.url;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function isRead(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

function wantsJson(req: Request): boolean {
  return req.get('hx-request') !== 'true' && req.accepts(['html', 'json']) === 'json';
}

function runMiddleware(middleware: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => middleware(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
}

function subjectOf(record: ImpersonationRecord) {
  return { type: 'user', id: record.target.id, label: record.target.email };
}

/**
 * `admin.guard`, mounted by the host after its session and sign-in middleware
 * and before its routes. Without an impersonation in the session it only marks
 * the request as guarded and steps aside. With one, on every request:
 *
 * 1. reloads the operator by id: no longer an operator (demoted, banned,
 *    deleted) → the impersonation ends, everyone is signed out, 403 page;
 * 2. checks the host still has the target signed in: if the host signed them
 *    out or someone else in, the record is dropped and the request goes on as
 *    whoever the host says is signed in (nobody is signed back in);
 * 3. killed by a superuser from the Impersonations page, or time up → the
 *    operator is signed back in (new session id), the console says so, and
 *    the request is answered with a redirect to the console;
 * 4. leaves requests to the console itself (Stop included) to the console,
 *    which is closed to the target except for Stop;
 * 5. read-only mode: any method but GET/HEAD is refused with a 403 page and
 *    recorded as `impersonation.write_refused`;
 * 6. full mode: any method but GET/HEAD is recorded as
 *    `impersonation.request` (method, path, status) once the response is sent;
 * 7. exposes the banner (`res.locals.backstageImpersonation`,
 *    `admin.bannerHtml(req)`) and inserts it into `text/html` responses.
 */
export function impersonationGuard(runtime: ImpersonationRuntime): RequestHandler {
  const { options } = runtime;

  /** A page of the guard's own in the host app (the console's layout would be wrong there), or JSON for API callers. */
  async function sendPage(req: Request, res: Response, status: number, title: string, message: string, consoleBase: string | null, bannerHtml = '') {
    res.status(status);
    res.set('Cache-Control', 'no-store');
    if (wantsJson(req)) {
      res.json({ error: message });
      return;
    }
    const html = await runtime.renderer.toString('impersonation/refused', {
      title,
      message,
      bannerHtml,
      stylesheetUrl: consoleBase === null ? null : `${consoleBase}${BANNER_STYLESHEET}`,
      back: options.impersonation?.landingPath ?? '/',
    });
    res.type('html').send(html);
  }

  async function banner(req: Request, record: ImpersonationRecord, now: number): Promise<string> {
    const model = bannerFor(record, now, runtime.csrfTokenFor(req));
    req.res!.locals.backstageImpersonation = model;
    const html = (await runtime.renderer.toString('impersonation/banner', { b: model })).trim();
    runtime.banners.set(req, html);
    return html;
  }

  function recordWhenSent(ctx: ConsoleContext, req: Request, res: Response, record: ImpersonationRecord) {
    const method = req.method;
    const path = pathOf(req);
    const meta = requestMeta(req);
    let recorded = false;
    const write = () => {
      if (recorded) return;
      recorded = true;
      ctx.audit
        .record({
          action: 'impersonation.request',
          actor: { id: record.operator.id, email: record.operator.email, role: record.operator.role },
          subject: subjectOf(record),
          data: { method, path, status: res.statusCode, ...(res.writableFinished ? {} : { aborted: true }) },
          ...meta,
        })
        .catch((err) => runtime.log(`express-backstage: could not record ${method} ${path} made while impersonating ${record.target.email}`, err));
    };
    res.once('finish', write);
    res.once('close', write);
  }

  return handle(async (req: Request, res: Response, next: NextFunction) => {
    runtime.guarded.add(req);
    if (!req.session) {
      // A host without express-session: only a request carrying the console's own cookie can be impersonating.
      if (!String(req.headers.cookie ?? '').includes(OWN_SESSION_COOKIE)) return next();
      await runMiddleware(runtime.consoleSession, req, res);
    }
    if (!hasRecordKey(req)) return next();

    await runtime.ready;
    const ctx = runtime.context();
    const record = readRecord(req);
    if (!record || !options.impersonation) {
      // Unreadable, or impersonation was switched off since it started: end it the safe way.
      if (record) await endSignedOut(ctx, req, record, 'impersonation-disabled', runtime.log);
      else {
        clearRecord(req);
        await regenerateSession(req);
      }
      return sendPage(req, res, 403, 'Impersonation ended', 'The impersonation in this browser has ended and you have been signed out. Sign in again.', null);
    }

    const now = options.now().getTime();
    const operator = await reloadOperator(ctx, record);
    if (!operator) {
      await endSignedOut(ctx, req, record, 'operator-access-withdrawn', runtime.log);
      return sendPage(req, res, 403, 'Impersonation ended', `Your impersonation of ${record.target.email} has ended and you have been signed out: your account no longer has operator access.`, record.consoleBase);
    }

    const effective = await effectiveUserId(options, req);
    if (effective !== record.target.id) {
      await dropRecord(ctx, req, record, effective === null ? 'signed-out' : 'signed-in-as-someone-else', runtime.log);
      return next();
    }

    const consolePath = `${record.consoleBase}/users/${encodeURIComponent(record.target.id)}`;
    // Killed by a superuser (on any instance): ends here, like expiry, whatever this request was.
    const killer = record.id ? await killOf(ctx, record.id) : null;
    if (killer) {
      await returnToOperator(ctx, req, record, operator, 'killed', runtime.log, killer);
      res.set('Cache-Control', 'no-store');
      res.redirect(303, consolePath);
      return;
    }
    if (now >= record.expiresAt) {
      await returnToOperator(ctx, req, record, operator, 'expired', runtime.log);
      res.set('Cache-Control', 'no-store');
      res.redirect(303, consolePath);
      return;
    }

    // The console's own requests (Stop included) are the console gate's business: it closes every one but Stop
    // to the target and writes nothing, so a refused console request is not a "write made as the user".
    const path = pathOf(req);
    if (record.consoleBase !== '' && (path === record.consoleBase || path.startsWith(`${record.consoleBase}/`))) return next();

    // Conditional requests would let the host answer 304 and the browser show a page from before (or without) the banner.
    delete req.headers['if-none-match'];
    delete req.headers['if-modified-since'];
    const bannerHtml = await banner(req, record, now);

    if (!isRead(req.method)) {
      if (record.mode === 'read-only') {
        await ctx.audit.record({
          action: 'impersonation.write_refused',
          actor: { id: record.operator.id, email: operator.email, role: operator.role },
          subject: subjectOf(record),
          data: { method: req.method, path },
          ...requestMeta(req),
        });
        return sendPage(
          req,
          res,
          403,
          'Refused: read-only impersonation',
          `You are acting as ${record.target.email} in read-only mode, so this ${req.method} request was refused and nothing was changed. ` +
            'Stop, then start a full impersonation if the change really has to be made as this user.',
          record.consoleBase,
          bannerHtml,
        );
      }
      recordWhenSent(ctx, req, res, record);
    }

    if (options.impersonation.injectBanner) injectIntoHtmlResponses(res, req.method, bannerHtml);
    next();
  });
}
