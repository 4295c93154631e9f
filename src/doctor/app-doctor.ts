import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadModuleFile } from '../cli/config';
import type { Finding } from './run-doctor';
import { findMountedConsole, runtimeFindings } from './runtime-doctor';

/** One anonymous GET through the whole app, so the console sees the app's session middleware and guard as a browser would. */
async function probe(app: unknown, url: string): Promise<void> {
  const server = http.createServer(app as http.RequestListener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port, path: url }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      request.on('error', reject);
    });
  } finally {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Ends the handles a host module exports under the usual names, so the command can exit. */
async function closeExported(mod: any, app: unknown): Promise<void> {
  for (const name of ['db', 'knex', 'pool', 'sequelize', 'prisma']) {
    const handle = mod?.[name];
    if (!handle || handle === app) continue;
    const method = ['destroy', '$disconnect', 'end', 'close'].find((m) => typeof handle[m] === 'function');
    if (method) await Promise.resolve(handle[method]()).catch(() => undefined);
  }
}

/**
 * `doctor --app <file>`: loads the module that builds the host's app, finds the
 * console in its middleware stack, sends one anonymous request through the app
 * and reports what only the running app shows: the session store and where
 * `admin.guard` is mounted.
 */
export async function appFindings(cwd: string, file: string, mount: string, production: boolean): Promise<Finding[]> {
  const shown = path.relative(cwd, path.resolve(cwd, file)) || file;
  if (!fs.existsSync(path.resolve(cwd, file))) {
    return [{ level: 'error', topic: 'app', message: `--app ${file}: no such file in ${cwd}.`, fix: ['Point --app at the JavaScript module that builds your Express app (compiled, for TypeScript).'] }];
  }
  let mod: any;
  try {
    mod = await loadModuleFile(path.resolve(cwd, file));
  } catch (err) {
    return [{ level: 'error', topic: 'app', message: `Could not load ${shown}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, fix: ['Point --app at the JavaScript module that builds your Express app (compiled, for TypeScript).'] }];
  }
  const app = mod?.app ?? mod?.default?.app ?? mod?.default ?? mod;
  const mounted = findMountedConsole(app);
  if (!mounted) {
    await closeExported(mod, app);
    return [{ level: 'error', topic: 'app', message: `${shown} does not mount the console (no createAdmin router in its middleware stack).`, fix: ["Paste the lines init printed: app.use(admin.guard); app.use('/admin', admin);", 'Or point --app at the module that does, exporting the app.'] }];
  }
  try {
    await probe(app, `${mount.replace(/\/+$/, '')}/`);
    return [{ level: 'ok', topic: 'app', message: `Loaded ${shown}: the console is mounted in it.` }, ...(await runtimeFindings(mounted.internals, { app, production }))];
  } finally {
    await (mounted.admin as { close(): Promise<void> }).close();
    await closeExported(mod, app);
  }
}
