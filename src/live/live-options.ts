import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { BackstageConfigError, describeValue } from '../options-errors';
import type { RedisClientLike, RedisConnectionLike } from './redis-live-bus';

/**
 * Live updates (`<mount>/live`, the dashboard's charts, the runtime page).
 * Omitted: in-process events. `false`: no live updates (pages show what they
 * rendered). With `redis`, every instance of the host app sees every event.
 *
 * @example
 * createAdmin({ db, getUser, live: { redis: process.env.REDIS_URL } })
 * createAdmin({ db, getUser, live: { redis: existingIoredisClient } })
 */
export interface LiveOptions {
  /**
   * An ioredis client (the console duplicates it into a publisher and a subscriber
   * connection of its own, closed by `admin.close()`), or a `redis://`/`rediss://` URL
   * (the host's `ioredis` package opens them).
   */
  redis?: RedisClientLike | string;
  /** Prefix of the pub/sub channels. Default `backstage:live:`. */
  channelPrefix?: string;
  /** This instance's name on the runtime page. Default `<hostname>:<pid>:<random>`. */
  instanceId?: string;
  /** Interval of the keep-alive comment on open streams. Default 15,000 ms. */
  heartbeatMs?: number;
  /** Bytes a slow page may have waiting before it is disconnected. Default 1 MiB. */
  maxBufferBytes?: number;
  /** Open streams per process at most; more are refused with 503. Default 1,000. */
  maxClients?: number;
  /** A stream is ended after this long and the page reconnects, so a demoted operator stops receiving. Default 15 minutes. */
  maxStreamMs?: number;
  /** How often the console re-reads its own figures (signups, subscriptions, queue counts) while a page watches. Default 5,000 ms. */
  pollMs?: number;
  /** How often the runtime page's figures are sampled while someone watches. Default 2,000 ms. */
  sampleMs?: number;
}

export interface ResolvedLiveOptions {
  enabled: boolean;
  /** Opens one Redis connection; null for the in-process bus. */
  connectRedis: ((role: 'publisher' | 'subscriber') => RedisConnectionLike) | null;
  channelPrefix: string;
  instanceId: string;
  heartbeatMs: number;
  maxBufferBytes: number;
  maxClients: number;
  maxStreamMs: number;
  pollMs: number;
  sampleMs: number;
}

function fail(option: string, expected: string, got: unknown): never {
  throw new BackstageConfigError(`options.live.${option} must be ${expected}, got ${describeValue(got)}`);
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

function whole(value: unknown, option: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(option, `a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`, value);
  }
  return value;
}

function isRedisClient(value: unknown): value is RedisClientLike {
  const v = value as Partial<RedisClientLike> | null;
  return typeof v === 'object' && v !== null && typeof v.duplicate === 'function' && typeof v.publish === 'function' && typeof v.subscribe === 'function';
}

/** Loads ioredis from the host app: the console does not depend on it. */
function loadIoredis(url: string): new (url: string, options: Record<string, unknown>) => RedisConnectionLike {
  try {
    const loaded = require(require.resolve('ioredis', { paths: [process.cwd(), __dirname] }));
    return loaded.Redis ?? loaded.default ?? loaded;
  } catch {
    throw new BackstageConfigError(`options.live.redis is a URL (${redactUrl(url)}), which needs the "ioredis" package; install it in your app (npm install ioredis) or pass an ioredis client.`);
  }
}

function resolveRedis(value: unknown, instanceId: string): ResolvedLiveOptions['connectRedis'] {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') {
    if (!/^rediss?:\/\/./.test(value)) fail('redis', 'an ioredis client or a redis:// URL', redactUrl(value));
    const Redis = loadIoredis(value);
    return (role) => new Redis(value, { connectionName: `backstage-live-${role}-${instanceId}`, maxRetriesPerRequest: 2 });
  }
  if (isRedisClient(value)) {
    // A bounded retry, so a publish while Redis is down fails in seconds instead of queueing forever.
    return (role) => value.duplicate({ connectionName: `backstage-live-${role}-${instanceId}`, maxRetriesPerRequest: 2 });
  }
  fail('redis', 'an ioredis client (with duplicate(), publish() and subscribe()) or a redis:// URL', value);
}

function defaultInstanceId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
}

/** Validates `options.live`; every error names the option, as the rest of createAdmin's do. */
export function resolveLiveOptions(value: unknown): ResolvedLiveOptions {
  if (value !== undefined && value !== false && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new BackstageConfigError(`options.live must be false or an object ({ redis }), got ${describeValue(value)}`);
  }
  const live = (value || {}) as Record<string, unknown>;
  const known = ['redis', 'channelPrefix', 'instanceId', 'heartbeatMs', 'maxBufferBytes', 'maxClients', 'maxStreamMs', 'pollMs', 'sampleMs'];
  const unknownKey = Object.keys(live).find((key) => !known.includes(key));
  if (unknownKey) throw new BackstageConfigError(`options.live has no option "${unknownKey}"; it accepts ${known.join(', ')}`);

  const channelPrefix = live.channelPrefix ?? 'backstage:live:';
  if (typeof channelPrefix !== 'string' || channelPrefix.length === 0 || channelPrefix.length > 100) fail('channelPrefix', 'a non-empty string', channelPrefix);
  const instanceId = live.instanceId ?? defaultInstanceId();
  if (typeof instanceId !== 'string' || !/^[\w.:@-]{1,100}$/.test(instanceId)) fail('instanceId', 'up to 100 letters, digits and . : @ _ -', instanceId);

  return {
    enabled: value !== false,
    connectRedis: value === false ? null : resolveRedis(live.redis, instanceId),
    channelPrefix,
    instanceId,
    heartbeatMs: whole(live.heartbeatMs, 'heartbeatMs', 15_000, 10, 600_000),
    maxBufferBytes: whole(live.maxBufferBytes, 'maxBufferBytes', 1024 * 1024, 1024, 256 * 1024 * 1024),
    maxClients: whole(live.maxClients, 'maxClients', 1000, 1, 100_000),
    maxStreamMs: whole(live.maxStreamMs, 'maxStreamMs', 15 * 60_000, 1000, 24 * 3_600_000),
    pollMs: whole(live.pollMs, 'pollMs', 5000, 50, 3_600_000),
    sampleMs: whole(live.sampleMs, 'sampleMs', 2000, 50, 600_000),
  };
}
