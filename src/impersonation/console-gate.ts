import type { RequestHandler } from 'express';
import { wantsFragmentOrJson } from '../http/gate';
import { handle } from '../http/handle';
import { HttpError } from '../http/http-error';
import type { Operator } from '../http/operator';
import { bannerFor, STOP_PATH } from './banner';
import { hasRecordKey, readRecord } from './impersonation-record';
import type { ImpersonationRuntime } from './runtime';

/**
 * The console's gate while an impersonation is running in this session. The
 * effective user is the target, so the console is closed to them whatever
 * their role, with exactly one exception: `POST /impersonation/stop`, which
 * passes as the operator recorded in the session (the route reloads and
 * re-checks them). Without an impersonation, the role gate decides as usual.
 */
export function closeConsoleWhileImpersonating(roleGate: RequestHandler, runtime: ImpersonationRuntime): RequestHandler {
  const { options } = runtime;
  if (!options.impersonation) return roleGate;
  return handle(async (req, res, next) => {
    if (!hasRecordKey(req)) return roleGate(req, res, next);
    const record = readRecord(req);
    if (record && req.method === 'POST' && req.path === STOP_PATH) {
      const operator: Operator = {
        id: record.operator.id,
        email: record.operator.email,
        name: null,
        role: record.operator.role,
        isSuperuser: options.superuserRoles.includes(record.operator.role),
        user: null,
      };
      res.locals.backstageOperator = operator;
      return next();
    }
    const message = record
      ? `You are acting as ${record.target.email}, so the console is closed until you stop impersonating.`
      : 'This session holds an impersonation the console cannot read. Sign out and sign in again.';
    if (!record || wantsFragmentOrJson(req)) throw new HttpError(403, message);
    const stop = bannerFor(record, options.now().getTime(), runtime.csrfTokenFor(req));
    await runtime.renderer.page(req, res, 'impersonation/console-closed', { message, record, stop }, { title: 'Console closed while impersonating', section: '', status: 403 });
  });
}
