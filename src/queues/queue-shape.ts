/**
 * Telling a Bull queue from a BullMQ queue by its shape, without loading
 * either library (both are optional peer dependencies of the host).
 *
 * - Bull (v3/v4): `process()`, `isReady()` and `whenCurrentJobsFinished()`; its `client` is an ioredis instance.
 * - BullMQ: `waitUntilReady()`, a `qualifiedName` string and `getJobCounts()`; its `client` is a Promise.
 */

type Shape = Record<string, unknown>;

function isObject(value: unknown): value is Shape {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

function hasFunctions(value: Shape, names: readonly string[]): boolean {
  return names.every((name) => typeof value[name] === 'function');
}

export function isBullQueue(value: unknown): boolean {
  return (
    isObject(value) &&
    typeof value.name === 'string' &&
    hasFunctions(value, ['process', 'isReady', 'whenCurrentJobsFinished', 'toKey', 'getJob', 'getJobCounts'])
  );
}

export function isBullMQQueue(value: unknown): boolean {
  return (
    isObject(value) &&
    typeof value.name === 'string' &&
    typeof value.qualifiedName === 'string' &&
    hasFunctions(value, ['waitUntilReady', 'toKey', 'getJob', 'getJobCounts', 'add'])
  );
}

/** A BullMQ Worker, QueueEvents or FlowProducer: easy to pass by mistake for the Queue. */
export function isOtherBullMQObject(value: unknown): boolean {
  return (
    isObject(value) && typeof value.qualifiedName === 'string' && typeof value.waitUntilReady === 'function' && !isBullMQQueue(value)
  );
}

function constructorName(value: object): string | undefined {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return ctor && typeof ctor.name === 'string' && ctor.name !== '' && ctor.name !== 'Object' ? ctor.name : undefined;
}

function listKeys(value: object): string {
  const keys = Object.keys(value);
  if (keys.length === 0) return 'no keys';
  const shown = keys.slice(0, 8).join(', ');
  return `keys ${shown}${keys.length > 8 ? `, … (${keys.length} in all)` : ''}`;
}

/** Describes what was given, for error messages: "a plain object with keys a, b", "a string ("emails")"… */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') {
    const name = (value as { name?: string }).name;
    return `a function${name ? ` (${name})` : ''}; did you pass the Queue class instead of an instance?`;
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof (value as { then?: unknown }).then === 'function') return 'a Promise; await it first';
  if (isOtherBullMQObject(value)) {
    return `a BullMQ ${constructorName(value) ?? 'object'} rather than a Queue; pass the Queue instance`;
  }
  const ctor = constructorName(value);
  return ctor ? `an instance of ${ctor} with ${listKeys(value)}` : `a plain object with ${listKeys(value)}`;
}
