import { bytes, count, duration, percent } from './format';

/** The one command the runtime page sends to Redis. */
export interface RedisInfoSource {
  info(...args: any[]): Promise<string>;
  status?: string;
}

export interface RedisFigures {
  /** Where the connection comes from: the live updates bus or a queue's client. */
  source: string;
  facts: Array<[string, string]>;
  /** Raw numbers for the charts. */
  opsPerSec: number | null;
  usedMemoryBytes: number | null;
  error: string | null;
}

/** INFO's `key:value` lines as a map (sections and comments skipped). */
export function parseInfo(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const at = line.indexOf(':');
    if (at > 0) map.set(line.slice(0, at), line.slice(at + 1));
  }
  return map;
}

function num(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * Version, memory, clients and throughput from one INFO call. Only these
 * fields are read: INFO also lists paths and the command line, never shown.
 */
export async function redisFigures(client: RedisInfoSource, source: string, timeoutMs = 1000): Promise<RedisFigures> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const text = await Promise.race([
      client.info(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    const info = parseInfo(text);
    const used = num(info.get('used_memory'));
    const max = num(info.get('maxmemory'));
    const hits = num(info.get('keyspace_hits'));
    const misses = num(info.get('keyspace_misses'));
    const ops = num(info.get('instantaneous_ops_per_sec'));
    const facts: Array<[string, string]> = [
      ['Version', `Redis ${info.get('redis_version') ?? '?'}${info.get('redis_mode') ? ` (${info.get('redis_mode')})` : ''}`],
      ['Role', info.get('role') ?? '—'],
      ['Uptime', duration(num(info.get('uptime_in_seconds')))],
      ['Memory used', `${bytes(used)}${max ? ` of ${bytes(max)}` : ''} (peak ${bytes(num(info.get('used_memory_peak')))})`],
      ['Clients', `${count(num(info.get('connected_clients')))} connected, ${count(num(info.get('blocked_clients')))} blocked`],
      ['Operations', `${count(ops)} / s`],
      ['Keyspace hit rate', hits !== null && misses !== null && hits + misses > 0 ? percent(hits / (hits + misses), 1) : '—'],
    ];
    return { source, facts, opsPerSec: ops, usedMemoryBytes: used, error: null };
  } catch (err) {
    return { source, facts: [], opsPerSec: null, usedMemoryBytes: null, error: err instanceof Error && err.message === 'timeout' ? 'Redis did not answer within a second.' : 'Redis is not reachable.' };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A Redis connection to read INFO from when no live Redis is configured: the
 * first queue's own client (Bull: an ioredis instance; BullMQ: a promise of one).
 * Read structurally; the queue libraries are the host's.
 */
export async function redisOfQueues(queues: readonly unknown[]): Promise<RedisInfoSource | null> {
  for (const queue of queues) {
    const client = (queue as { client?: unknown } | null)?.client;
    if (!client) continue;
    let resolved: unknown = client;
    if (typeof (client as { then?: unknown }).then === 'function') {
      let timer: NodeJS.Timeout | undefined;
      resolved = await Promise.race([
        client as Promise<unknown>,
        new Promise((resolve) => {
          timer = setTimeout(() => resolve(null), 1000);
        }),
      ]).catch(() => null);
      clearTimeout(timer);
    }
    if (resolved && typeof (resolved as RedisInfoSource).info === 'function') return resolved as RedisInfoSource;
  }
  return null;
}
