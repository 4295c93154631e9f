import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Wraps an async route so a rejection reaches `next(err)`. Express 5 does this
 * itself; Express 4 does not, and the console runs on both.
 */
export function handle(fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown> | unknown): RequestHandler {
  return (req, res, next) => {
    try {
      Promise.resolve(fn(req, res, next)).catch(next);
    } catch (err) {
      next(err);
    }
  };
}
