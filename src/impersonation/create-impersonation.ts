import express, { type Request, type RequestHandler, type Router } from 'express';
import { closeConsoleWhileImpersonating } from './console-gate';
import { impersonationGuard } from './guard';
import { impersonationsRoutes } from '../pages/impersonations/routes';
import { impersonationRoutes } from './routes';
import type { ImpersonationRuntime } from './runtime';

/** What a console gives its impersonation: the runtime without the per-request sets it makes itself. */
export type ImpersonationDeps = Omit<ImpersonationRuntime, 'guarded' | 'banners'>;

export interface Impersonation {
  /** `admin.guard`. */
  guard: RequestHandler;
  /** Wraps the console's role gate: closes the console while impersonating, except Stop. */
  consoleGate(roleGate: RequestHandler): RequestHandler;
  /** The console routes: the Impersonations page, and (when impersonation is on) the start page, start and stop. */
  routes(): Router;
  /** `admin.bannerHtml(req)`: the banner for this request, or '' when it is not impersonating. */
  bannerHtml(req: Request): string;
  /** True when this console's guard ran for the request (the runtime doctor's "guard mounted" check). */
  wasGuarded(req: Request): boolean;
}

/** Impersonation for one console: its guard, its console gate and its routes, sharing one runtime. */
export function createImpersonation(deps: ImpersonationDeps): Impersonation {
  const runtime: ImpersonationRuntime = { ...deps, guarded: new WeakSet(), banners: new WeakMap() };
  return {
    guard: impersonationGuard(runtime),
    consoleGate: (roleGate) => closeConsoleWhileImpersonating(roleGate, runtime),
    routes: () => {
      const router = express.Router();
      // The Impersonations page stays when impersonation is off: it says so, and still lists past ones.
      router.use(impersonationsRoutes(deps.context));
      if (deps.options.impersonation) router.use(impersonationRoutes(deps.context, runtime));
      return router;
    },
    bannerHtml: (req) => runtime.banners.get(req) ?? '',
    wasGuarded: (req) => runtime.guarded.has(req),
  };
}
