import { errorClassOf, fingerprintOf, fullStackOf, normaliseMessage, parseFrame, scrubSecrets, stackLines } from '../src/errors/fingerprint';
import { snapshotRequest } from '../src/errors/request-context';

describe('how an error is fingerprinted', () => {
  it('replaces what varies between occurrences: numbers, ids, uuids, hex, quoted strings, emails', () => {
    expect(normaliseMessage('Report 41 for "acme" failed')).toBe('Report <n> for <str> failed');
    expect(normaliseMessage("Invoice in_1N8fK2 for team 'globex' not found")).toBe('Invoice <id> for team <str> not found');
    expect(normaliseMessage('User 3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f has no plan')).toBe('User <uuid> has no plan');
    expect(normaliseMessage('object 0x7ffe4a10 and commit 9fceb02d0ae598e95dc970b74767f19372d61af8')).toBe('object <hex> and commit <hex>');
    expect(normaliseMessage('Mail to jane@acme.test bounced after 3.5s')).toBe('Mail to <email> bounced after <n>s');
    // Apostrophes inside words are not quotes.
    expect(normaliseMessage("Can't read the user's plan")).toBe("Can't read the user's plan");
  });

  it('groups the same failure with different ids together, and the same message from another line apart', () => {
    const a = fingerprintOf(new Error('Report 41 could not be exported'));
    const b = fingerprintOf(new Error('Report 97 could not be exported'));
    const c = fingerprintOf(new Error('Report 41 could not be exported'));
    expect(a.frame).toMatch(/^test\/errors-fingerprint\.test\.ts:\d+:\d+$/);
    expect(a.hash).not.toBe(b.hash); // created on another line of this file
    const make = (id: number) => new Error(`Report ${id} could not be exported`);
    expect(fingerprintOf(make(1)).hash).toBe(fingerprintOf(make(2)).hash);
    expect(c.normalisedMessage).toBe('Report <n> could not be exported');
  });

  it('uses the subclass name as the class, and copes with things that are not errors', () => {
    class ReportExportError extends Error {}
    expect(errorClassOf(new ReportExportError('x'))).toBe('ReportExportError');
    expect(errorClassOf(new TypeError('x'))).toBe('TypeError');
    expect(errorClassOf('just a string')).toBe('thrown string');
    expect(errorClassOf(null)).toBe('null');
    expect(fingerprintOf({ weird: true }).errorClass).toBe('thrown object');
    expect(fingerprintOf(undefined).message).toBe('undefined');
  });

  it('skips node_modules and node: internals to find the host frame', () => {
    const stack = [
      'TypeError: Cannot read properties of undefined',
      '    at Object.get (/srv/app/node_modules/pg/lib/client.js:10:5)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      '    at async exportReport (/srv/app/src/reports.js:41:13)',
      '    at Layer.handle (/srv/app/node_modules/express/lib/router/layer.js:95:5)',
    ].join('\n');
    const error = Object.assign(new TypeError('Cannot read properties of undefined'), { stack });
    expect(fingerprintOf(error, '/srv/app').frame).toBe('src/reports.js:41:13');
    expect(stackLines(stack, '/srv/app').map((l) => l.kind)).toEqual(['message', 'library', 'internal', 'app', 'library']);
    expect(parseFrame('    at file:///srv/app/src/server.mjs:3:9', '/srv/app')).toMatchObject({ file: 'src/server.mjs', line: 3, kind: 'app' });
    expect(parseFrame('    at Array.map (<anonymous>)')).toMatchObject({ kind: 'internal' });
    expect(parseFrame('not a frame')).toBeNull();
  });

  it('keeps the causes in the stored stack', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const text = fullStackOf(new Error('Export failed', { cause }));
    expect(text).toContain('Error: Export failed');
    expect(text).toContain('Caused by: Error: connect ECONNREFUSED');
  });

  it('scrubs credentials that messages carry', () => {
    expect(scrubSecrets('connect to postgres://app:hunter2@db:5432/app failed')).toBe('connect to postgres://app:[redacted]@db:5432/app failed');
    expect(scrubSecrets('sent Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc')).toBe('sent Authorization: Bearer [redacted]');
    expect(scrubSecrets('bad config password=hunter2 host=db')).toBe('bad config password=[redacted] host=db');
  });

  it('snapshots a request with query and body keys only, and secret headers redacted', () => {
    const req = {
      method: 'POST',
      originalUrl: '/app/settings?token=tok_live_SECRET&page=2',
      url: '/settings?token=tok_live_SECRET&page=2',
      baseUrl: '/app',
      route: { path: '/settings' },
      query: { token: 'tok_live_SECRET', page: '2' },
      body: { password: 'hunter2-SECRET', email: 'jane@acme.test' },
      headers: { cookie: 'sid=SECRET', authorization: 'Bearer SECRET', 'x-api-key': 'SECRET', 'x-request-id': 'req-42', 'user-agent': 'Mozilla/5.0', accept: 'text/html' },
      ip: '10.0.0.7',
    } as any;
    const snap = snapshotRequest(req);
    expect(JSON.stringify(snap)).not.toContain('SECRET');
    expect(snap).toMatchObject({
      method: 'POST',
      path: '/app/settings',
      route: '/app/settings',
      queryKeys: ['token', 'page'],
      bodyKeys: ['password', 'email'],
      requestId: 'req-42',
      userAgent: 'Mozilla/5.0',
      headers: { cookie: '[redacted]', authorization: '[redacted]', 'x-api-key': '[redacted]', accept: 'text/html' },
    });
  });
});
