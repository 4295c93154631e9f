import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import session, { MemoryStore } from 'express-session';
import type { ResolvedOptions } from '../options';

/**
 * The console keeps its CSRF secret and impersonation state in a session. Hosts
 * with express-session already have one; hosts on JWT cookies or bearer tokens
 * do not, so the console then runs its own, under its own cookie name.
 */
export function consoleSession(options: ResolvedOptions, warn: (message: string) => void): RequestHandler {
  let own: RequestHandler | null = null;

  function ownSession(): RequestHandler {
    if (own) return own;
    const production = process.env.NODE_ENV === 'production';
    if (!options.sessionStore && production) {
      warn('express-backstage: the host has no express-session, so the console runs its own with a MemoryStore, which leaks memory and forgets sessions on restart. Pass options.sessionStore (e.g. a connect-redis store).');
    }
    if (!options.sessionSecret && production) {
      warn('express-backstage: options.sessionSecret is not set; console sessions will not survive a restart or work across instances.');
    }
    own = session({
      name: 'backstage.sid',
      secret: options.sessionSecret ?? randomBytes(32).toString('hex'),
      store: options.sessionStore ?? new MemoryStore(),
      resave: false,
      saveUninitialized: false,
      proxy: undefined,
      cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto' },
    });
    return own;
  }

  return (req, res, next) => {
    if (req.session) {
      next();
      return;
    }
    ownSession()(req, res, next);
  };
}
