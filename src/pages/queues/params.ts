/**
 * The queue pages' URL and form parameters, validated with zod: a bad value is
 * one 400 that names every bad parameter, never a 500 and never a query sent
 * to Redis with it.
 */
import { z } from 'zod';
import { badRequest, type HttpError } from '../../http/http-error';
import { JOB_STATES, SEARCH_ORDER, type JobState } from '../../queues/queue-adapter';
import { isSecretKey } from '../../queues/redact';
import { single } from '../../lists/list-params';

export const PAGE_SIZES = [20, 50, 100] as const;
export const DEFAULT_PAGE_SIZE = 20;
/** Jobs a search by data field reads at most (newest first, across the chosen states). */
export const FIND_SCAN_LIMIT = 10_000;
/** Matches a search by data field shows at most. */
export const FIND_LIMIT = 100;
export const MAX_FIELD_LENGTH = 100;
export const MAX_VALUE_LENGTH = 200;
export const MAX_ID_LENGTH = 200;
export const LOG_PAGE_SIZE = 50;
/** Longest clean age an operator can choose: a year. */
export const MAX_CLEAN_HOURS = 24 * 365;

/** A dotted path into job data: identifiers, with array indexes after the first segment (`items.0.sku`). */
const DATA_FIELD = /^[A-Za-z_$][\w$]*(?:\.(?:[A-Za-z_$][\w$]*|\d+))*$/;

const jobState = z.enum(JOB_STATES, { error: `"state" must be one of ${JOB_STATES.join(', ')}.` });

function wholeNumber(name: string, min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,9}$/, { error: `"${name}" must be a whole number from ${min} to ${max.toLocaleString('en-US')}.` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { error: `"${name}" must be a whole number from ${min} to ${max.toLocaleString('en-US')}.` });
}

/** `?a=1&a=2` and `?a=1,2` alike; a lone value stays one. */
function listOf(value: unknown): string[] | undefined {
  if (value === undefined || value === '') return undefined;
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => (typeof item === 'string' ? item.split(',') : [item as string])).filter((s) => s !== '');
}

function fail(problems: string[]): HttpError {
  return badRequest(problems.length === 1 ? problems[0] : 'Some parameters are not valid.', problems.length === 1 ? [] : problems);
}

/** Checks a queue name or a job id taken from the path. */
export function pathValue(value: unknown, what: 'queue name' | 'job id' | 'run id'): string {
  const text = String(value ?? '');
  if (text === '' || text.length > MAX_ID_LENGTH) throw badRequest(`That ${what} is ${text === '' ? 'empty' : 'too long to be real'}.`);
  return text;
}

export interface FieldSearch {
  field: string;
  op: 'eq' | 'contains';
  value: string;
  states: JobState[];
}

export interface QueuePageParams {
  state: JobState;
  page: number;
  size: number;
  /** `?find=<id>`: go to that job. */
  find: string | null;
  /** A search by data field, when `field` was given. */
  search: FieldSearch | null;
}

/** `?state=failed&page=3&size=50`, `?find=123`, `?field=teamId&op=eq&value=7&states=failed,completed`. */
export function parseQueuePageParams(query: Record<string, unknown>): QueuePageParams {
  const problems: string[] = [];
  const read = <T>(key: string, schema: z.ZodType<T>, fallback: T): T => {
    const raw = single(query, key, problems);
    if (raw === undefined || raw === '') return fallback;
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    problems.push(parsed.error.issues[0].message);
    return fallback;
  };
  const state = read('state', jobState, 'failed' as JobState);
  const page = read('page', wholeNumber('page', 1, 10_000_000), 1);
  const size = read(
    'size',
    z.enum(PAGE_SIZES.map(String) as [string, ...string[]], { error: `"size" must be one of ${PAGE_SIZES.join(', ')}.` }).transform(Number),
    DEFAULT_PAGE_SIZE,
  );

  let find: string | null = null;
  const rawFind = single(query, 'find', problems);
  if (rawFind !== undefined && rawFind.trim() !== '') {
    find = rawFind.trim();
    if (find.length > MAX_ID_LENGTH) problems.push(`"find" is ${find.length} characters long; job ids have at most ${MAX_ID_LENGTH}.`);
  }

  let search: FieldSearch | null = null;
  const field = single(query, 'field', problems)?.trim();
  if (field !== undefined && field !== '') {
    if (field.length > MAX_FIELD_LENGTH || !DATA_FIELD.test(field)) {
      problems.push(`"field" must be a data field such as teamId or meta.team.id (letters, digits, _ and dots; at most ${MAX_FIELD_LENGTH} characters).`);
    } else if (field.split('.').some((s) => s === '__proto__' || s === 'constructor' || s === 'prototype')) {
      problems.push(`"field" cannot go through __proto__, constructor or prototype.`);
    } else if (field.split('.').some((s) => isSecretKey(s))) {
      problems.push(`"field" looks like a secret (${field}); job data is never searched by secrets.`);
    }
    const op = read('op', z.enum(['eq', 'contains'], { error: '"op" must be eq (equals) or contains.' }), 'eq' as const);
    const value = (single(query, 'value', problems) ?? '').trim();
    if (value === '') problems.push('Give a "value" to look for.');
    if (value.length > MAX_VALUE_LENGTH) problems.push(`"value" is ${value.length} characters long; at most ${MAX_VALUE_LENGTH} are accepted.`);
    const asked = listOf(query.states);
    let states: JobState[] = [...SEARCH_ORDER];
    if (asked) {
      const unknown = asked.filter((s) => !(JOB_STATES as readonly string[]).includes(s));
      if (unknown.length > 0) problems.push(`"states" must be among ${JOB_STATES.join(', ')}; got ${unknown.slice(0, 3).map((s) => JSON.stringify(String(s).slice(0, 20))).join(', ')}.`);
      // Searched in the pages' order: failed first, completed (the biggest) last.
      else states = SEARCH_ORDER.filter((s) => asked.includes(s));
    }
    search = { field, op, value, states };
  }

  if (problems.length > 0) throw fail(problems);
  return { state, page, size, find, search };
}

/** `?logs=2`: the page of log lines on the job page. */
export function parseJobPageParams(query: Record<string, unknown>): { logsPage: number } {
  const problems: string[] = [];
  const raw = single(query, 'logs', problems);
  let logsPage = 1;
  if (raw !== undefined && raw !== '') {
    const parsed = wholeNumber('logs', 1, 1_000_000).safeParse(raw);
    if (parsed.success) logsPage = parsed.data;
    else problems.push(parsed.error.issues[0].message);
  }
  if (problems.length > 0) throw fail(problems);
  return { logsPage };
}

export interface CleanChoice {
  state: 'completed' | 'failed';
  hours: number;
}

const cleanState = z.enum(['completed', 'failed'], { error: 'Only completed or failed jobs can be cleaned: choose "completed" or "failed".' });

/** The clean confirmation page's `?state=completed&hours=24`. */
export function parseCleanChoice(source: Record<string, unknown>): CleanChoice {
  const problems: string[] = [];
  const rawState = single(source, 'state', problems) ?? 'completed';
  const state = cleanState.safeParse(rawState);
  if (!state.success) problems.push(state.error.issues[0].message);
  const rawHours = single(source, 'hours', problems) ?? '24';
  const hours = wholeNumber('hours', 0, MAX_CLEAN_HOURS).safeParse(rawHours.trim());
  if (!hours.success) problems.push(`"hours" must be a whole number of hours from 0 to ${MAX_CLEAN_HOURS.toLocaleString('en-US')}.`);
  if (problems.length > 0 || !state.success || !hours.success) throw fail(problems);
  return { state: state.data, hours: hours.data };
}

/** The number of jobs the operator confirmed on the confirmation page. */
export function parseConfirmedCount(body: Record<string, unknown>, max: number): number {
  const problems: string[] = [];
  const raw = single(body, 'count', problems);
  if (raw === undefined) problems.push('The confirmation is missing the number of jobs; start again from the confirmation page.');
  else {
    const parsed = wholeNumber('count', 0, max).safeParse(raw);
    if (parsed.success) return parsed.data;
    problems.push(parsed.error.issues[0].message);
  }
  throw fail(problems);
}

/** `?user=<id>` or `?team=<id>` on the linked-jobs fragment. */
export function parseLinkedParams(query: Record<string, unknown>): { kind: 'user' | 'team'; id: string } {
  const problems: string[] = [];
  const user = single(query, 'user', problems);
  const team = single(query, 'team', problems);
  if (problems.length > 0) throw fail(problems);
  if ((user ? 1 : 0) + (team ? 1 : 0) !== 1) throw badRequest('Say whose jobs to list: ?user=<id> or ?team=<id> (one of them).');
  const id = (user ?? team)!;
  if (id.length > 64) throw badRequest('That id is too long to be real.');
  return { kind: user ? 'user' : 'team', id };
}
