import { z } from 'zod';
import { badRequest } from '../http/http-error';

/**
 * A list declared, not coded (Django admin's list_display / list_filter idea):
 * which fields may sort it, which filters it takes, its default order and
 * limits. `parseListParams` turns the URL into validated values or one 400
 * that names every bad parameter.
 */
export interface ListDeclaration {
  sortable: readonly string[];
  /** `-created_at` for newest first. */
  defaultSort: string;
  /** Filter name → its zod schema; the schema's message is shown to the operator. */
  filters?: Record<string, z.ZodType>;
  limit?: { default: number; max: number };
  /** Longest search text accepted. */
  maxQueryLength?: number;
}

export interface ListParams {
  q: string;
  /** The search text split into words, each of which must match. */
  words: string[];
  sort: { field: string; direction: 'asc' | 'desc' };
  /** The sort exactly as written in the URL (`-created_at`). */
  sortParam: string;
  filters: Record<string, unknown>;
  limit: number;
  after?: string;
  before?: string;
}

const MAX_WORDS = 5;

/** One URL or form value, or a problem noted when it came as an array or object (`?q=a&q=b`). */
export function single(query: Record<string, unknown>, key: string, problems: string[]): string | undefined {
  const value = query[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    problems.push(`"${key}" was given more than once or in a form the console does not read; give it once.`);
    return undefined;
  }
  return value;
}

export function parseListParams(declaration: ListDeclaration, query: Record<string, unknown>): ListParams {
  const problems: string[] = [];
  const limits = declaration.limit ?? { default: 50, max: 200 };

  const q = (single(query, 'q', problems) ?? '').trim();
  const maxQuery = declaration.maxQueryLength ?? 200;
  if (q.length > maxQuery) problems.push(`The search text is ${q.length} characters long; at most ${maxQuery} are accepted.`);
  const words = q.split(/\s+/).filter(Boolean);
  if (words.length > MAX_WORDS) problems.push(`The search has ${words.length} words; at most ${MAX_WORDS} are accepted.`);

  const sortParam = single(query, 'sort', problems) || declaration.defaultSort;
  const direction = sortParam.startsWith('-') ? 'desc' : 'asc';
  const field = sortParam.replace(/^[-+]/, '');
  if (!declaration.sortable.includes(field)) {
    problems.push(`Cannot sort by "${field.slice(0, 40)}". Sort by one of: ${declaration.sortable.join(', ')} (prefix with - for descending).`);
  }

  let limit = limits.default;
  const rawLimit = single(query, 'limit', problems);
  if (rawLimit !== undefined && rawLimit !== '') {
    const parsed = Number(rawLimit);
    if (!/^\d+$/.test(rawLimit) || parsed < 1 || parsed > limits.max) problems.push(`"limit" must be a whole number from 1 to ${limits.max}; got "${rawLimit.slice(0, 20)}".`);
    else limit = parsed;
  }

  const after = single(query, 'after', problems) || undefined;
  const before = single(query, 'before', problems) || undefined;
  if (after && before) problems.push('Give "after" or "before", not both.');

  const filters: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(declaration.filters ?? {})) {
    const raw = single(query, name, problems);
    if (raw === undefined || raw === '') continue;
    const parsed = schema.safeParse(raw);
    if (parsed.success) filters[name] = parsed.data;
    else problems.push(parsed.error.issues[0]?.message ?? `"${name}" is not valid.`);
  }

  if (problems.length > 0) throw badRequest('Some of the list parameters are not valid.', problems);
  return { q, words, sort: { field, direction }, sortParam, filters, limit, after, before };
}

/** Filter schemas shared by lists; each message names the parameter and what it accepts. */
export const filterOf = {
  oneOf(name: string, values: readonly string[]) {
    return z.enum(values as [string, ...string[]], { error: (issue) => `"${name}" must be one of: ${values.join(', ')}; got "${String(issue.input).slice(0, 40)}".` });
  },
  /** A day like 2026-01-31, read as midnight UTC. */
  date(name: string) {
    const message = (input: unknown) => `"${name}" must be a date like 2026-01-31; got "${String(input).slice(0, 40)}".`;
    return z
      .string()
      .regex(/^\d{4}-\d\d-\d\d$/, { error: (issue) => message(issue.input) })
      .transform((raw, ctx) => {
        const date = new Date(`${raw}T00:00:00.000Z`);
        if (Number.isNaN(date.getTime())) {
          ctx.addIssue({ code: 'custom', message: message(raw) });
          return z.NEVER;
        }
        return date;
      });
  },
  text(name: string, max = 200) {
    return z.string().max(max, { error: `"${name}" is longer than ${max} characters.` });
  },
};
