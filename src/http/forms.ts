import { z } from 'zod';
import { badRequest, type HttpError } from './http-error';

/** The optional "why" an operator gives for an action; it goes into the audit log. */
export const reasonField = z
  .string()
  .trim()
  .max(500, { error: 'The reason must be at most 500 characters.' })
  .optional()
  .transform((value) => value || null);

/** A form that failed validation: one 400 listing every problem. */
export function formError(error: z.ZodError): HttpError {
  return badRequest('The form is not valid.', error.issues.map((issue) => issue.message));
}

/** The optional reason of a form that has nothing else: its value, or one 400 saying what is wrong with it. */
export function readReason(body: unknown): string | null {
  const form = z.object({ reason: reasonField }).safeParse({ reason: ((body ?? {}) as Record<string, unknown>).reason });
  if (!form.success) throw formError(form.error);
  return form.data.reason;
}
