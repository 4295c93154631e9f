import path from 'node:path';
import express, { type Router } from 'express';
import { PACKAGE_ROOT } from '../package-root';

/**
 * The folder of a dependency's main file, resolved from the package so hoisting
 * and pnpm both work (their `exports` maps hide `package.json` and `dist/*`).
 */
function dependencyDir(name: string): string {
  return path.dirname(require.resolve(name, { paths: [PACKAGE_ROOT] }));
}

/**
 * The console's CSS and JS, and htmx and Chart.js from node_modules: no CDN, no
 * build step for the host. Long cache headers; URLs carry the package version.
 */
export function assetsRouter(): Router {
  const router = express.Router();
  const long = { maxAge: '30d', immutable: true, index: false, fallthrough: false } as const;
  router.use('/vendor/htmx', express.static(dependencyDir('htmx.org'), long));
  router.use('/vendor/chart.js', express.static(dependencyDir('chart.js'), long));
  router.use('/', express.static(path.join(PACKAGE_ROOT, 'public'), long));
  return router;
}
