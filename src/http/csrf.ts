import type { Request, RequestHandler } from 'express';
import { csrfSync } from 'csrf-sync';
import './session-data';

export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';

/**
 * Synchronizer-token CSRF protection (csrf-sync) for every non-GET console
 * route. The token lives under the console's own session key so it never
 * collides with a host that also uses csrf-sync. htmx sends it as a header set
 * on <body>; plain forms send a hidden field.
 */
export function csrfProtection(): { protect: RequestHandler; tokenFor: (req: Request) => string } {
  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    getTokenFromState: (req) => req.session?.backstageCsrf,
    storeTokenInState: (req, token) => {
      if (req.session) req.session.backstageCsrf = token ?? undefined;
    },
    getTokenFromRequest: (req) => {
      const header = req.get(CSRF_HEADER);
      if (header) return header;
      const field = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
      return typeof field === 'string' ? field : undefined;
    },
    errorConfig: {
      statusCode: 403,
      code: 'EBADCSRFTOKEN',
      message: 'This action was refused because its security token is missing or out of date. Reload the page and try again.',
    },
  });
  return { protect: csrfSynchronisedProtection, tokenFor: (req) => generateToken(req) };
}
