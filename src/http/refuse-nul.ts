import type { RequestHandler } from 'express';
import { badRequest } from './http-error';

/** Longest walk into a parsed query (qs on Express 4 nests objects); deeper input is refused anyway by the pages. */
const MAX_DEPTH = 8;

function holdsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return false;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000') || holdsNul(item, depth + 1)) return true;
  }
  return false;
}

/**
 * Refuses query strings and forms that carry a NUL character (`%00`). No
 * operator types one, PostgreSQL refuses it in any text value (`invalid byte
 * sequence for encoding "UTF8": 0x00`, which would surface as a 500), and
 * C-based tools downstream cut strings at it. One clear 400 instead, for every
 * page and every database alike.
 */
export const refuseNul: RequestHandler = (req, _res, next) => {
  if (holdsNul(req.query) || holdsNul(req.body)) {
    next(badRequest('The request contains a NUL character (%00), which the console does not accept. Remove it and try again.'));
    return;
  }
  next();
};
