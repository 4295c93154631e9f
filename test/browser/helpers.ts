/**
 * Real-Chromium tests: one place that finds the browser, launches it with the
 * flags these machines need, and serves an Express app on a free port.
 *
 * In CI (`CI` set) a missing Chromium fails the run; elsewhere the suites are
 * skipped with a note saying how to run them (set CHROMIUM_PATH).
 *
 * @example
 * describeInBrowser('the dashboard', () => {
 *   let browser: Browser;
 *   beforeAll(async () => { browser = await launchBrowser(); });
 *   afterAll(() => browser.close());
 *   it('…', async () => { const server = await listen(app); … await server.close(); });
 * });
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots and other artefacts of a run go (gitignored). */
export const RESULTS_DIR = path.resolve(__dirname, '../../test-results');

/** CHROMIUM_PATH when set, else the Debian package's binary; null when neither exists. */
export function chromiumPath(): string | null {
  const candidates = process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((candidate) => fs.existsSync(candidate)) ?? null;
}

/** `describe` when Chromium is there; in CI its absence is an error, elsewhere the suite is skipped. */
export function describeInBrowser(name: string, suite: () => void): void {
  if (chromiumPath()) {
    describe(name, suite);
    return;
  }
  if (process.env.CI) {
    throw new Error(`CI must provide Chromium for "${name}": set CHROMIUM_PATH (tried ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'}). Browser suites are never skipped in CI.`);
  }
  describe.skip(`${name} (skipped: no Chromium here; set CHROMIUM_PATH to run it)`, suite);
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('No Chromium found: set CHROMIUM_PATH');
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

export interface Listening {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

/** Serves `app` on a free port of 127.0.0.1 until `close()`, which also drops kept-alive connections. */
export async function listen(app: http.RequestListener): Promise<Listening> {
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
