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
