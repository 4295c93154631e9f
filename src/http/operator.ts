import type { Request, Response } from 'express';

/** The signed-in operator, as the gate found them. */
export interface Operator {
  id: string | null;
  email: string | null;
  name: string | null;
  role: string;
  isSuperuser: boolean;
  /** The host's own user object, for host hooks (canImpersonate, …). */
  user: unknown;
}

export function operatorOf(res: Response): Operator {
  const operator = res.locals.backstageOperator as Operator | undefined;
  if (!operator) throw new Error('express-backstage: the role gate did not run before this route');
  return operator;
}

/** What an audit event records about the request besides the actor. */
export function requestMeta(req: Request): { ip: string | null; userAgent: string | null } {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}
