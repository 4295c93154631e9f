import path from 'node:path';

/** The package's own folder (views/, public/ live here), whether we run from src/ or dist/. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');
