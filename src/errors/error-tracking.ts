import type { ErrorRequestHandler, Request, Router } from 'express';
import type { ConsoleContext } from '../console-context';
import type { DialectName } from '../db/dialect';
import type { ResolvedOptions } from '../options';
import { errorsOffRoutes, errorsRoutes } from '../pages/errors/routes';
import { ErrorCapture, type CaptureContext } from './error-capture';
import { ErrorStore } from './error-store';
import { startRetention } from './retention';

/** What createAdmin wires in: the host-facing capture, the pages, and the timers close() stops. */
export interface ErrorTracking {
  errorHandler: ErrorRequestHandler;
  captureError(error: unknown, context?: CaptureContext): void;
  routes(context: () => ConsoleContext): Router;
  close(): Promise<void>;
}

export function errorTracking(options: ResolvedOptions, dialect: DialectName, warn: (message: string) => void): ErrorTracking {
  if (!options.errors) {
    // errors: false keeps the host's `app.use(admin.errorHandler)` line working: it only passes the error on.
    const passThrough: ErrorRequestHandler = (err, _req, _res, next) => next(err);
    return { errorHandler: passThrough, captureError: () => {}, routes: errorsOffRoutes, close: async () => {} };
  }
  const { retentionDays } = options.errors;
  const userIdOf = (req: Request): unknown => {
    const idOf = (user: unknown) => (user === null || user === undefined ? null : options.idOf(user));
    const user = options.getUser(req);
    return user instanceof Promise ? user.then(idOf) : idOf(user);
  };
  const capture = new ErrorCapture({ db: options.db, dialect, now: options.now, userIdOf, warn });
  const retention = startRetention({ store: new ErrorStore(options.db, dialect), retentionDays, now: options.now, warn });
  return {
    errorHandler: capture.errorHandler,
    captureError: (error, context) => capture.capture(error, context),
    routes: (context) => errorsRoutes(context, { stats: () => capture.stats(), retentionDays }),
    async close() {
      retention.stop();
      await capture.close();
    },
  };
}
