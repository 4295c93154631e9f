/**
 * supertest is the host's dev dependency, not ours: found from the host's
 * folder first, loaded only when a helper needs it.
 */
export function loadSupertest(paths: string[] = [process.cwd(), __dirname]): (app: unknown) => unknown & { agent(app: unknown): any } {
  let resolved: string;
  try {
    resolved = require.resolve('supertest', { paths });
  } catch {
    throw new Error(
      'express-backstage/testing: signedInAgent needs supertest, which this project does not have. Install it as a dev dependency: npm install --save-dev supertest',
    );
  }
  return require(resolved);
}
