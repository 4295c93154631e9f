import express, { type Request, type Router } from 'express';
import { badRequest, forbidden, HttpError, notFound } from '../http/http-error';
import type { LiveHub } from './live-hub';
import { parseTopics } from './live-topics';

/**
 * Browsers say where a request comes from: `Sec-Fetch-Site` (all current ones)
 * and `Origin` (cross-origin requests). The stream is for the console's own
 * pages, so anything else is refused before a stream is opened.
 */
export function isSameOriginRequest(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.get('origin');
  if (!origin) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const hosts = [req.get('host')];
  if (req.app?.get?.('trust proxy')) hosts.push(...(req.get('x-forwarded-host') ?? '').split(',').map((h) => h.trim()));
  return hosts.some((h) => h !== undefined && h !== '' && h.toLowerCase() === host.toLowerCase());
}

/**
 * `GET <mount>/live?topics=signups,jobs`: Server-Sent Events for signed-in
 * operators (the role gate runs before this router), same-origin only.
 */
export function liveRoutes(hub: () => LiveHub | null): Router {
  const router = express.Router();
  router.get('/live', (req, res) => {
    const live = hub();
    if (!live) throw notFound('Live updates are switched off in this console (options.live is false).');
    if (!isSameOriginRequest(req)) throw forbidden('Live updates are only streamed to the console’s own pages.');
    const parsed = parseTopics(req.query.topics);
    if ('error' in parsed) throw badRequest(parsed.error);
    const refusal = live.refusal();
    if (refusal) {
      res.set('Retry-After', '10');
      throw new HttpError(503, refusal);
    }
    live.stream(req, res, parsed.topics);
  });
  return router;
}
