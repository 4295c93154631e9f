import type { Request } from 'express';
import type { ConsoleContext } from './console-context';
import type { DialectName } from './db/dialect';
import type { ResolvedOptions } from './options';

/**
 * What `express-backstage/testing` and the runtime doctor read off a console
 * built by `createAdmin`, kept under a registered symbol so it is not part of
 * the router's public surface and survives two copies of the package.
 */
export const CONSOLE_INTERNALS = Symbol.for('express-backstage.console-internals');

/** What the console has seen of the host app on real requests (read by `admin.doctor()`). */
export interface ObservedRequests {
  /** Requests that reached the console. */
  seen: number;
  /** Of those, requests that went through this console's `admin.guard` first. */
  guarded: number;
  /** The host's express-session store, as seen on `req.sessionStore`; null when the host has no express-session. */
  hostStore: { name: string; memory: boolean } | null | undefined;
}

export interface ConsoleInternals {
  options: ResolvedOptions;
  dialect: DialectName;
  /** The schema check of start-up: rejects with the reason the console cannot start. */
  ready: Promise<void>;
  /** The context pages use; throws before `ready` resolves. */
  context(): ConsoleContext;
  /** True when this console's guard ran for the request. */
  wasGuarded(req: Request): boolean;
  /** The guard middleware itself, to find it in the host's middleware stack. */
  guard: unknown;
  observed: ObservedRequests;
}

/** The internals of a console, or null when `value` is not one built by createAdmin. */
export function consoleInternals(value: unknown): ConsoleInternals | null {
  if ((typeof value !== 'function' && typeof value !== 'object') || value === null) return null;
  const internals = (value as Record<symbol, unknown>)[CONSOLE_INTERNALS];
  return internals && typeof internals === 'object' ? (internals as ConsoleInternals) : null;
}
