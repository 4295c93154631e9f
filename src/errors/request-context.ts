/**
 * What an occurrence remembers about the request that failed: enough to find
 * the customer and reproduce the call, never a secret. Query strings and form
 * bodies are kept as key names only; headers are kept with cookies,
 * authorization and anything secret-looking replaced (DESIGN §6 rule 7).
 */
import type { Request } from 'express';
import { isSecretKey, redactSecrets, REDACTED } from '../queues/redact';
import { scrubSecrets } from './fingerprint';

export interface RequestSnapshot {
  method: string;
  path: string;
  /** The route pattern that matched (`/app/reports/:id`), when Express knows it. */
  route: string | null;
  queryKeys: string[];
  bodyKeys: string[];
  requestId: string | null;
  userAgent: string | null;
  ip: string | null;
  headers: Record<string, string>;
}

/** The request context of one occurrence, as stored (JSON) and shown. */
export interface OccurrenceContext {
  request?: RequestSnapshot;
  userId?: string | null;
  teamId?: string | null;
  requestId?: string | null;
  /** What the host passed to `captureError` besides the known fields, redacted. */
  extra?: Record<string, unknown>;
}

const ALWAYS_SECRET_HEADERS = new Set(['cookie', 'set-cookie', 'authorization', 'proxy-authorization', 'x-api-key', 'x-csrf-token', 'x-xsrf-token']);
const MAX_HEADERS = 40;
const MAX_KEYS = 50;

function clip(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

function keysOf(value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.keys(value)
    .slice(0, MAX_KEYS)
    .map((key) => clip(key, 100));
}

function stringOrNull(value: unknown, max = 200): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') return null;
  return clip(String(value), max);
}

function safeHeaders(raw: Request['headers']): Record<string, string> {
  const headers: Record<string, string> = {};
  let n = 0;
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (n++ >= MAX_HEADERS) break;
    if (name === 'user-agent' || value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    headers[name] = ALWAYS_SECRET_HEADERS.has(name) || isSecretKey(name) ? REDACTED : clip(scrubSecrets(text), 300);
  }
  return headers;
}

/** Reading `req.query` can itself throw on a hostile query string with some parsers. */
function queryKeysOf(req: Request): string[] {
  try {
    return keysOf(req.query);
  } catch {
    return [];
  }
}

/** Snapshot of the failing request, taken synchronously in the error handler (cheap: no I/O). */
export function snapshotRequest(req: Request): RequestSnapshot {
  const url = String(req.originalUrl ?? req.url ?? '');
  const routePath = (req as { route?: { path?: unknown } }).route?.path;
  const requestId = stringOrNull((req as { id?: unknown }).id) ?? stringOrNull(req.headers?.['x-request-id']) ?? stringOrNull(req.headers?.['x-correlation-id']);
  return {
    method: String(req.method ?? '').slice(0, 16),
    path: clip(url.split('?')[0], 500),
    route: typeof routePath === 'string' ? clip(`${req.baseUrl ?? ''}${routePath}`, 300) : null,
    queryKeys: queryKeysOf(req),
    bodyKeys: keysOf(req.body),
    requestId,
    userAgent: stringOrNull(req.headers?.['user-agent'], 512),
    ip: stringOrNull(req.ip, 64),
    headers: safeHeaders(req.headers),
  };
}

/** The host's extra context for `captureError`, secrets redacted and size bounded. */
export function safeExtra(extra: Record<string, unknown>): Record<string, unknown> | undefined {
  if (Object.keys(extra).length === 0) return undefined;
  try {
    const json = JSON.stringify(redactSecrets(extra), (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
    if (json === undefined) return undefined;
    if (json.length > 4000) return { note: `context of ${json.length} characters left out (more than 4,000)`, keys: Object.keys(extra).slice(0, MAX_KEYS) };
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return { note: 'context could not be serialised', keys: Object.keys(extra).slice(0, MAX_KEYS) };
  }
}

export { stringOrNull as idOrNull };
