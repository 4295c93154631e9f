import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { ConsoleContext } from '../console-context';
import { handle } from '../http/handle';
import { badRequest, forbidden, HttpError } from '../http/http-error';
import { operatorOf, type Operator } from '../http/operator';
import { setFlash } from '../http/render';
import type { BackstageUser } from '../models/users-adapter';
import { teamsOfUser } from '../pages/users/queries';
import { STOP_PATH } from './banner';
import { IMPERSONATION_MODES, readRecord, type ImpersonationMode } from './impersonation-record';
import { defaultDuration, durationChoices, impersonationRefusal } from './policy';
import type { ImpersonationRuntime } from './runtime';
import { dropRecord, effectiveUserId, endSignedOut, reloadOperator, returnToOperator, startImpersonation, type StartChoice } from './session-switch';
import { targetUser } from '../pages/users/target';

export const GUARD_MISSING_MESSAGE =
  'Impersonation needs admin.guard, and it did not run for this request. Mount it once in the host app, after its session and ' +
  "sign-in middleware and before its routes and the console: app.use(admin.guard); app.use('/admin', admin);";

function startForm(maxMinutes: number) {
  const choices = durationChoices(maxMinutes);
  return z.object({
    reason: z
      .string({ error: 'Give a reason for impersonating this user: it is kept in the audit log.' })
      .trim()
      .min(3, { error: 'Give a reason for impersonating this user (at least 3 characters): it is kept in the audit log.' })
      .max(500, { error: 'The reason must be at most 500 characters.' }),
    minutes: z
      .string({ error: 'Choose how long the impersonation lasts.' })
      .regex(/^\d{1,5}$/, { error: 'Choose how long the impersonation lasts, in minutes.' })
      .transform(Number)
      .pipe(
        z
          .number()
          .max(maxMinutes, { error: `An impersonation lasts at most ${maxMinutes} minutes (impersonation.maxMinutes).` })
          .refine((minutes) => choices.includes(minutes), { error: `Choose one of these durations: ${choices.join(', ')} minutes.` }),
      ),
    mode: z.enum(IMPERSONATION_MODES as [ImpersonationMode, ...ImpersonationMode[]], { error: 'Choose read-only or full mode.' }).default('read-only'),
  });
}

/**
 * Every reason not to start, in the order an operator would want to hear them,
 * as a thrown 4xx. Nothing is written to the audit log for a refusal.
 */
async function refuseToStart(runtime: ImpersonationRuntime, ctx: ConsoleContext, req: Request, operator: Operator, target: BackstageUser): Promise<void> {
  const running = readRecord(req);
  if (running) throw new HttpError(409, `You are already impersonating ${running.target.email}. Stop that impersonation before starting another one.`);
  if (!runtime.guarded.has(req)) throw new HttpError(409, GUARD_MISSING_MESSAGE);
  const refusal = await impersonationRefusal(ctx.options, operator, target);
  if (refusal) throw new HttpError(refusal.status, refusal.message);
}

/**
 * The start page and form (`/users/:id/impersonate`) and Stop
 * (`/impersonation/stop`). Mounted only when `options.impersonation` is set, so
 * with it off these URLs are the console's plain 404.
 */
export function impersonationRoutes(context: () => ConsoleContext, runtime: ImpersonationRuntime): Router {
  const router = express.Router();

  router.get(
    '/users/:id/impersonate',
    handle(async (req, res) => {
      const ctx = context();
      const operator = operatorOf(res);
      const target = await targetUser(ctx, req);
      await refuseToStart(runtime, ctx, req, operator, target);
      const teams = await teamsOfUser(ctx, target.id);
      const choices = durationChoices(ctx.options.impersonation!.maxMinutes);
      await ctx.renderer.page(
        req,
        res,
        'impersonation/start',
        {
          user: target,
          teams,
          features: ctx.users.features,
          policyLines: ctx.options.impersonation!.policy ? ctx.options.impersonation!.policy.split(/\r?\n/) : [],
          choices,
          defaultMinutes: defaultDuration(choices),
          landingPath: ctx.options.impersonation!.landingPath,
        },
        { title: `Impersonate ${target.email}`, section: 'users' },
      );
    }),
  );

  router.post(
    '/users/:id/impersonate',
    handle(async (req, res) => {
      const ctx = context();
      const operator = operatorOf(res);
      const target = await targetUser(ctx, req);
      await refuseToStart(runtime, ctx, req, operator, target);
      const form = startForm(ctx.options.impersonation!.maxMinutes).safeParse(req.body ?? {});
      if (!form.success) throw badRequest('The impersonation was not started.', form.error.issues.map((issue) => issue.message));
      await startImpersonation(ctx, req, operator, target, form.data as StartChoice, runtime.csrfTokenFor, runtime.log);
      res.redirect(303, ctx.options.impersonation!.landingPath);
    }),
  );

  router.post(
    STOP_PATH,
    handle(async (req: Request, res: Response) => {
      const ctx = context();
      const record = readRecord(req);
      if (!record) {
        setFlash(req, 'success', 'You were not impersonating anyone.');
        res.redirect(303, `${req.baseUrl}/`);
        return;
      }
      // The guard normally settles all of this before the request gets here; this route does not rely on it.
      const operator = await reloadOperator(ctx, record);
      if (!operator) {
        await endSignedOut(ctx, req, record, 'operator-access-withdrawn', runtime.log);
        throw forbidden('The impersonation has ended, and you have been signed out: your account no longer has operator access.');
      }
      const effective = await effectiveUserId(ctx.options, req);
      if (effective !== record.target.id) {
        await dropRecord(ctx, req, record, effective === null ? 'signed-out' : 'signed-in-as-someone-else', runtime.log);
        throw new HttpError(409, `The app is no longer signed in as ${record.target.email}, so the impersonation has ended without signing you back in. Sign in again.`);
      }
      const expired = ctx.options.now().getTime() >= record.expiresAt;
      await returnToOperator(ctx, req, record, operator, expired ? 'expired' : 'stopped', runtime.log);
      res.redirect(303, `${req.baseUrl}/users/${encodeURIComponent(record.target.id)}`);
    }),
  );

  return router;
}
