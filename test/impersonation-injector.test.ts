/**
 * How the banner gets into the host's HTML: where it goes in a document, and
 * which responses are edited (complete UTF-8 HTML) or left alone (JSON,
 * compressed, other charsets, HEAD, 204), and how it words the time left.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import express from 'express';
import request from 'supertest';
import { durationText, timeLeftText } from '../src/impersonation/banner';
import { injectIntoHtmlResponses, insertIntoDocument } from '../src/impersonation/html-injector';

const SNIPPET = '<aside data-backstage-banner>B</aside>';

describe('where the banner goes in a document', () => {
  it.each<[string, string, string | null]>([
    ['before the last </body>', '<html><body><p>a</p></body></html>', `<html><body><p>a</p>${SNIPPET}</body></html>`],
    ['before </BODY> in capitals', '<HTML><BODY>x</BODY></HTML>', `<HTML><BODY>x${SNIPPET}</BODY></HTML>`],
    ['a </body> inside a script string does not fool it: the last one wins', '<body><script src="a.js"></script>"</body>"<p>x</p></body>', `<body><script src="a.js"></script>"</body>"<p>x</p>${SNIPPET}</body>`],
    ['at the start of the body when it is never closed', '<!doctype html><body class="app"><p>x</p>', `<!doctype html><body class="app">${SNIPPET}<p>x</p>`],
    ['before </html> without a body tag', '<html><p>x</p></html>', `<html><p>x</p>${SNIPPET}</html>`],
    ['at the end of a doctype document without body or html tags', '<!DOCTYPE html><title>t</title><p>x', `<!DOCTYPE html><title>t</title><p>x${SNIPPET}`],
    ['nowhere in a fragment', '<tr><td>row</td></tr>', null],
    ['nowhere when the host already placed a banner', '<body><aside data-backstage-banner></aside></body>', null],
    ['not inside <bodyguard>', '<bodyguard>x</bodyguard>', null],
  ])('%s', (_name, document, expected) => {
    expect(insertIntoDocument(document, SNIPPET)).toBe(expected);
  });
});

describe('which responses are edited', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backstage-inject-'));
  fs.writeFileSync(path.join(dir, 'page.html'), '<html><body>static file</body></html>');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const app = express();
  app.use((req, res, next) => {
    injectIntoHtmlResponses(res, req.method, SNIPPET);
    next();
  });
  app.get('/send', (_req, res) => res.send('<html><body>é</body></html>'));
  app.get('/json', (_req, res) => res.json({ html: '<body></body>' }));
  app.get('/write-head', (_req, res) => {
    const body = '<html><body>explicit head</body></html>';
    res.writeHead(201, 'Made', { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), 'X-Kept': 'yes' });
    res.end(body);
  });
  app.get('/write-head-array', (_req, res) => {
    res.writeHead(200, ['Content-Type', 'text/html', 'X-Flat', '1']);
    res.write(Buffer.from('<html><body>'));
    res.write('chunks', 'utf8', () => {});
    res.end('</body></html>', 'utf8');
  });
  app.get('/gzip', (_req, res) => {
    res.set({ 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' });
    res.end(gzipSync('<html><body>zipped</body></html>'));
  });
  app.get('/latin1', (_req, res) => {
    res.set('Content-Type', 'text/html; charset=iso-8859-1');
    res.end(Buffer.from('<html><body>caf\xe9</body></html>', 'latin1'));
  });
  app.get('/flushed', (_req, res) => {
    res.set('Content-Type', 'text/html');
    res.flushHeaders();
    res.end('<html><body>already flushed</body></html>');
  });
  app.get('/static', (_req, res) => res.sendFile(path.join(dir, 'page.html')));
  app.get('/empty', (_req, res) => res.status(204).end());

  it('res.send HTML: inserted, Content-Length recounted in bytes, no validators, not cached', async () => {
    const res = await request(app).get('/send').expect(200);
    expect(res.text).toBe(`<html><body>é${SNIPPET}</body></html>`);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
    expect(res.headers.etag).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('an explicit writeHead with a stale Content-Length keeps its status, reason and headers', async () => {
    const res = await request(app).get('/write-head').expect(201);
    expect(res.text).toBe(`<html><body>explicit head${SNIPPET}</body></html>`);
    expect(res.headers['x-kept']).toBe('yes');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
    const flat = await request(app).get('/write-head-array').expect(200);
    expect(flat.text).toBe(`<html><body>chunks${SNIPPET}</body></html>`);
    expect(flat.headers['x-flat']).toBe('1');
  });

  it('flushHeaders before the body: the head waits for the edited body, so the framing stays right', async () => {
    const res = await request(app).get('/flushed').expect(200);
    expect(res.text).toBe(`<html><body>already flushed${SNIPPET}</body></html>`);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
  });

  it('sendFile of an .html file', async () => {
    const res = await request(app).get('/static').expect(200);
    expect(res.text).toBe(`<html><body>static file${SNIPPET}</body></html>`);
  });

  it('leaves JSON, compressed bodies, other charsets, HEAD and 204 alone', async () => {
    expect((await request(app).get('/json')).body).toEqual({ html: '<body></body>' });
    const zipped = await request(app).get('/gzip').expect(200);
    expect(zipped.text).toBe('<html><body>zipped</body></html>');
    const latin = await request(app).get('/latin1').responseType('blob').expect(200);
    expect(Buffer.from(latin.body).toString('latin1')).toBe('<html><body>caf\xe9</body></html>');
    const head = await request(app).head('/send').expect(200);
    expect(head.text ?? '').toBe('');
    expect((await request(app).get('/empty')).status).toBe(204);
  });
});

describe('how the banner words time', () => {
  it.each<[number, string]>([
    [0, 'less than a minute left'],
    [59, 'less than a minute left'],
    [60, '1 minute left'],
    [61, '2 minutes left'],
    [300, '5 minutes left'],
    [7200, '2 h 0 min left'],
    [7261, '2 h 2 min left'],
  ])('%i seconds → %s', (seconds, text) => {
    expect(timeLeftText(seconds)).toBe(text);
  });

  it.each<[number, string]>([
    [1, '1 second'],
    [45, '45 seconds'],
    [120, '2 minutes'],
    [3600, '1 hour'],
    [3900, '1 hour 5 minutes'],
  ])('lasted %i seconds → %s', (seconds, text) => {
    expect(durationText(seconds)).toBe(text);
  });
});
