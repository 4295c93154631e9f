/** Errors about the host's configuration, always prefixed so they are easy to grep in a host's logs. */
export class BackstageConfigError extends Error {
  constructor(message: string) {
    super(`express-backstage: ${message}`);
    this.name = 'BackstageConfigError';
  }
}

/** A short, safe rendering of a wrong value for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (Array.isArray(value)) {
    try {
      const json = JSON.stringify(value);
      return json.length > 80 ? `an array of ${value.length} items` : json;
    } catch {
      return `an array of ${value.length} items`;
    }
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value as object).slice(0, 6);
    const name = (value as object).constructor?.name;
    const kind = name && name !== 'Object' ? `a ${name}` : 'an object';
    return keys.length ? `${kind} with keys ${keys.join(', ')}` : kind;
  }
  return String(value);
}
