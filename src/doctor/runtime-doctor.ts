import type { ConsoleInternals } from '../console-internals';
import { consoleInternals } from '../console-internals';
import type { Finding } from './run-doctor';

/** The layers of an Express 4 (`app._router`) or Express 5 (`app.router`) app, in mount order. */
function appLayers(app: any): any[] {
  const router = app?._router ?? app?.router;
  return Array.isArray(router?.stack) ? router.stack : [];
}

function hasRoutes(handle: any): boolean {
  return Array.isArray(handle?.stack) && handle.stack.some((layer: any) => layer.route || hasRoutes(layer.handle));
}

function describeLayer(layer: any): string {
  if (layer.route) {
    const methods = Object.keys(layer.route.methods ?? {}).filter((m) => m !== '_all').map((m) => m.toUpperCase());
    return `${methods.join(', ') || 'ALL'} ${layer.route.path}`;
  }
  return `a router (${layer.handle?.name || 'anonymous'})`;
}

/**
 * Where `admin.guard` sits in the host app's own middleware stack: it must run
 * before the console and before the host's routes, or requests to those routes
 * skip the impersonation banner, expiry and read-only mode.
 */
export function guardOrderFindings(app: unknown, internals: ConsoleInternals): Finding[] {
  const layers = appLayers(app);
  if (layers.length === 0) return [{ level: 'info', topic: 'guard', message: 'Could not read the app’s middleware stack (not an Express app?), so the guard’s place is unknown.' }];
  const guardAt = layers.findIndex((layer) => layer.handle === internals.guard);
  const consoleAt = layers.findIndex((layer) => consoleInternals(layer.handle) === internals);
  const fix = "Mount it once, after your session and sign-in middleware and before your routes and the console: app.use(admin.guard); app.use('/admin', admin);";
  if (guardAt === -1) return [{ level: 'error', topic: 'guard', message: 'admin.guard is not mounted in this app: impersonation refuses to start, and its expiry, banner and read-only mode cannot work.', fix: [fix] }];
  if (consoleAt !== -1 && guardAt > consoleAt) return [{ level: 'error', topic: 'guard', message: 'admin.guard is mounted after the console, so it never runs for console requests.', fix: [fix] }];
  const before = layers.slice(0, guardAt).filter((layer) => layer.route || (consoleInternals(layer.handle) === null && hasRoutes(layer.handle)));
  if (before.length > 0) {
    const shown = before.slice(0, 5).map(describeLayer).join('; ');
    return [
      {
        level: 'warn',
        topic: 'guard',
        message: `admin.guard is mounted after ${before.length} of your routes (${shown}${before.length > 5 ? '; …' : ''}): while an operator impersonates a user, requests to them get no banner, no read-only refusal and no audit record.`,
        fix: ['Move app.use(admin.guard) above them, right after your session and sign-in middleware.'],
      },
    ];
  }
  return [{ level: 'ok', topic: 'guard', message: 'admin.guard is mounted before your routes and the console.' }];
}

/** What the requests that reached the console showed: the guard ran for them or not. */
function observedGuardFindings(internals: ConsoleInternals): Finding[] {
  const { seen, guarded } = internals.observed;
  if (seen === 0) return [{ level: 'info', topic: 'guard', message: 'No request has reached the console yet, so whether admin.guard runs before it is not known.' }];
  if (guarded === seen) return [{ level: 'ok', topic: 'guard', message: `admin.guard ran before the console for all ${seen} request(s) it received.` }];
  return [
    {
      level: 'error',
      topic: 'guard',
      message: `admin.guard did not run for ${seen - guarded} of the ${seen} request(s) that reached the console.`,
      fix: ["Mount it once, after your session and sign-in middleware and before your routes and the console: app.use(admin.guard); app.use('/admin', admin);"],
    },
  ];
}

const STORE_ADVICE = 'Pass a shared store (connect-redis, connect-pg-simple, express-mysql-session, …)';

/** The session store the console's CSRF secret and impersonation state live in, as seen on real requests. */
export function sessionStoreFindings(internals: ConsoleInternals, production: boolean): Finding[] {
  const store = internals.observed.hostStore;
  const where = production ? 'NODE_ENV is production' : 'NODE_ENV is not production, so this is only a warning to heed before you deploy';
  if (store === undefined) return [{ level: 'info', topic: 'session', message: 'No request has reached the console yet, so the session store is not known.' }];
  if (store === null) {
    const own = internals.options.sessionStore;
    if (own) return [{ level: 'ok', topic: 'session', message: `The app has no express-session; the console keeps its own sessions in ${own.constructor?.name ?? 'the store you passed'} (options.sessionStore).` }];
    return [
      {
        level: production ? 'warn' : 'info',
        topic: 'session',
        message: `The app has no express-session, so the console keeps its own sessions in a MemoryStore (${where}): in production it leaks memory and signs operators out at every restart and on every other instance.`,
        fix: [`${STORE_ADVICE} as createAdmin({ sessionStore }), and set sessionSecret.`],
      },
    ];
  }
  if (store.memory) {
    return [
      {
        level: production ? 'warn' : 'info',
        topic: 'session',
        message: `Your express-session keeps sessions in its default MemoryStore (${where}): in production it leaks memory and signs everyone out at every restart and on every other instance.`,
        fix: [`${STORE_ADVICE} to session({ store }).`],
      },
    ];
  }
  return [{ level: 'ok', topic: 'session', message: `Sessions are kept in ${store.name} (your express-session).` }];
}

/**
 * The checks only a running app can answer: the console starts against the
 * schema, the session store, and (given the app) where the guard is mounted.
 */
export async function runtimeFindings(internals: ConsoleInternals, options: { app?: unknown; production?: boolean } = {}): Promise<Finding[]> {
  const findings: Finding[] = [];
  try {
    await internals.ready;
    findings.push({ level: 'ok', topic: 'schema', message: 'The console started: the mapping matches the live schema.' });
  } catch (err) {
    findings.push({ level: 'error', topic: 'schema', message: err instanceof Error ? err.message : String(err), fix: ['Correct createAdmin({ models }) for the schema as it is now: npx express-backstage init shows what it finds.'] });
  }
  findings.push(...sessionStoreFindings(internals, options.production ?? process.env.NODE_ENV === 'production'));
  findings.push(...(options.app === undefined ? observedGuardFindings(internals) : guardOrderFindings(options.app, internals)));
  return findings;
}

/** The console mounted in a host app (found in its middleware stack), with the layer that mounts it. */
export function findMountedConsole(app: unknown): { admin: unknown; internals: ConsoleInternals; layer: any } | null {
  for (const layer of appLayers(app)) {
    const internals = consoleInternals(layer.handle);
    if (internals) return { admin: layer.handle, internals, layer };
  }
  return null;
}
