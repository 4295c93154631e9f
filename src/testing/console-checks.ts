import { toDbDate } from '../db/dates';
import { dbBool } from '../db/sql-helpers';
import { consoleInternals, type ConsoleInternals } from '../console-internals';
import { pageSays } from './signed-in-agent';
import { loadSupertest } from './supertest-peer';

/** A user row a test created in the host's users table, through the console's own mapping. */
export interface TestUser {
  /** The row's id, as a string (the console's URLs use it: `/admin/users/${id}`). */
  id: string;
  email: string;
  /** The role the console reads off the row (`admin`, `user`, …; for a boolean column, its true/false value). */
  role: string | null;
  /** The whole row as the database returned it, under the host's own column names. */
  row: Record<string, unknown>;
}

export interface CreateTestUserOptions {
  email: string;
  /** A role value: for a boolean role column such as `is_admin`, one of the console's roles means true. */
  role?: string;
  name?: string;
  /** Columns the console does not map but the table requires (a password hash, a tenant id), by their own names. */
  columns?: Record<string, unknown>;
}

function internalsOf(admin: unknown, helper: string): ConsoleInternals {
  const internals = consoleInternals(admin);
  if (!internals) throw new TypeError(`express-backstage/testing: ${helper}(admin, …) needs the console createAdmin returned, got ${admin === null ? 'null' : typeof admin}`);
  return internals;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Resolves when the console can start against the database; rejects with the
 * reason otherwise (a renamed column, a missing table), in words that say what
 * changed. Await it first in your tests: every other failure follows from it.
 *
 * @example
 * test('the console starts against this database', () => consoleReady(admin));
 */
export async function consoleReady(admin: unknown): Promise<void> {
  const internals = internalsOf(admin, 'consoleReady');
  try {
    await internals.ready;
  } catch (err) {
    const error = new Error(
      `The console cannot start against this database, so every console page answers with an error page.\n${messageOf(err)}\n` +
        'The schema changed since the console was set up (a renamed or dropped column or table), or the mapping in createAdmin({ models }) is wrong. ' +
        'Run `npx express-backstage init` again to see what it finds now, or `npx express-backstage doctor`.',
    );
    error.name = 'ConsoleNotReadyError';
    throw error;
  }
}

/**
 * The users columns the console uses now, once it has started: a column the
 * mapping names that the table no longer has switches its feature off (no
 * names, no ban) rather than stopping the console, so a host's test compares
 * this with the columns it expects to catch a rename.
 *
 * @example
 * assert.equal((await usersColumns(admin)).name, 'full_name');
 */
export async function usersColumns(admin: unknown): Promise<Record<string, string | null>> {
  const internals = internalsOf(admin, 'usersColumns');
  await consoleReady(admin);
  const model = internals.context().usersModel;
  if (!model) throw new Error('express-backstage/testing: usersColumns works with a users table mapping; this console reads users through an adapter of your own.');
  return { ...model.columns };
}

/**
 * Creates a user in the host's users table through the console's mapping (its
 * table, columns, role and date storage), for a test to sign in as or to look
 * for. Remove it with `removeTestUsers`.
 *
 * @example
 * const ops = await createTestUser(admin, { email: `ops-${Date.now()}@example.test`, role: 'admin' });
 */
export async function createTestUser(admin: unknown, options: CreateTestUserOptions): Promise<TestUser> {
  const internals = internalsOf(admin, 'createTestUser');
  await consoleReady(admin);
  const ctx = internals.context();
  const model = ctx.usersModel;
  if (!model) throw new Error('express-backstage/testing: createTestUser works with a users table mapping; this console reads users through an adapter of your own, so create the user your own way.');
  const { db, dialect } = ctx;
  const c = model.columns;
  const now = new Date();
  const row: Record<string, unknown> = { [c.email]: options.email };
  if (c.name) row[c.name] = options.name ?? 'Backstage test user';
  if (c.role && options.role !== undefined) {
    row[c.role] = model.role.kind === 'boolean' ? dbBool(options.role === model.role.trueValue || internals.options.roles.includes(options.role), dialect) : options.role;
  }
  if (c.createdAt) row[c.createdAt] = toDbDate(now, model.dates, dialect);
  if (c.confirmedAt) row[c.confirmedAt] = toDbDate(now, model.dates, dialect);
  if (c.bannedAt && model.banned.kind !== 'timestamp') row[c.bannedAt] = dbBool(model.banned.kind === 'active-flag', dialect);
  Object.assign(row, options.columns ?? {});
  try {
    await db.insertInto(model.table).values(row).execute();
  } catch (err) {
    throw new Error(
      `express-backstage/testing: could not create the test user ${options.email} in "${model.table}": ${messageOf(err)}. ` +
        'If the table requires columns the console does not map (a password hash, a tenant id), pass them: createTestUser(admin, { email, role, columns: { password_hash: … } }).',
    );
  }
  const created = (await db.selectFrom(model.table).selectAll().where(c.email, '=', options.email).executeTakeFirst()) as Record<string, unknown> | undefined;
  if (!created) throw new Error(`express-backstage/testing: inserted ${options.email} into "${model.table}" but could not read it back by ${c.email}.`);
  const user = await ctx.users.get(String(created[c.id]));
  return { id: String(created[c.id]), email: options.email, role: user?.role ?? null, row: created };
}

/** Deletes the users a test created with `createTestUser` (by id); the console's audit log keeps its events. */
export async function removeTestUsers(admin: unknown, users: Array<TestUser | null | undefined>): Promise<void> {
  const internals = internalsOf(admin, 'removeTestUsers');
  const ids = users.filter((user): user is TestUser => Boolean(user)).map((user) => user.row[internals.context().usersModel!.columns.id]);
  if (ids.length === 0) return;
  const { db, usersModel } = internals.context();
  try {
    await db.deleteFrom(usersModel!.table).where(usersModel!.columns.id, 'in', ids).execute();
  } catch (err) {
    throw new Error(`express-backstage/testing: could not delete the test users from "${usersModel!.table}": ${messageOf(err)}`);
  }
}

function routePaths(router: any, into: Set<string>): void {
  for (const layer of router?.stack ?? []) {
    if (layer.route) {
      if (layer.route.methods?.get && typeof layer.route.path === 'string') into.add(layer.route.path);
    } else if (layer.handle && Array.isArray(layer.handle.stack)) routePaths(layer.handle, into);
  }
}

/**
 * The console's pages, relative to its mount: every GET route without a
 * parameter (read from the router itself, so a new page is checked too) and
 * the pages of the user and team you name. The live-updates stream is left out,
 * and the linked-jobs fragment is asked for the user's jobs.
 *
 * @example
 * for (const page of consolePages(admin, { userId: ops.id })) await agent.get(`/admin${page}`).expect(200);
 */
export function consolePages(admin: unknown, subjects: { userId?: string; teamId?: string } = {}): string[] {
  internalsOf(admin, 'consolePages');
  const paths = new Set<string>();
  routePaths(admin, paths);
  const pages: string[] = [];
  for (const path of paths) {
    if (path.includes(':') || path.includes('*') || path === '/live') continue;
    // A fragment for the user and team pages: it needs to be told whose jobs.
    if (path === '/dev/linked-jobs') {
      if (subjects.userId !== undefined) pages.push(`${path}?user=${encodeURIComponent(subjects.userId)}`);
      continue;
    }
    pages.push(path);
  }
  if (subjects.userId !== undefined) pages.push(`/users/${encodeURIComponent(subjects.userId)}`);
  if (subjects.teamId !== undefined) pages.push(`/teams/${encodeURIComponent(subjects.teamId)}`);
  return pages;
}

/**
 * What a console response says when it is not the page you expected, for an
 * assertion message: its status, where it redirects, and the console's error notice.
 *
 * @example
 * assert.equal(res.status, 200, `GET /admin/users ${consoleSays(res)}`);
 */
export function consoleSays(res: { status: number; headers?: Record<string, unknown>; text?: string }): string {
  const location = res.headers?.location;
  return `answered ${res.status}${typeof location === 'string' ? ` (a redirect to ${location})` : ''}.${pageSays(String(res.text ?? ''))}`;
}

/** Whether a router stack (and the routers mounted in it) holds the console, the way Express 4 and 5 keep them. */
function stackHolds(router: any, internals: ConsoleInternals, depth = 0): boolean {
  const stack = router?._router?.stack ?? router?.router?.stack ?? router?.stack;
  if (!Array.isArray(stack) || depth > 5) return false;
  for (const layer of stack) {
    const found = consoleInternals(layer.handle);
    if (found === internals) return true;
    if (!found && !layer.route && stackHolds(layer.handle, internals, depth + 1)) return true;
  }
  return false;
}

/**
 * Whether `app` mounts this console: found in its middleware stack, or, where
 * the stack does not show it (inside a sub-app), reached by one anonymous
 * request to `mount`. Check it before signing in, so a console that was never
 * mounted is reported as that rather than as a 404 on every page.
 *
 * @example
 * test('the app mounts the console', async () => assert.ok(await consoleMounted(app, admin), 'paste app.use(admin.guard); app.use(\'/admin\', admin);'));
 */
export async function consoleMounted(app: unknown, admin: unknown, { mount = '/admin' }: { mount?: string } = {}): Promise<boolean> {
  const internals = internalsOf(admin, 'consoleMounted');
  if (stackHolds(app, internals)) return true;
  if (typeof app !== 'function') return false;
  const before = internals.observed.seen;
  const request = loadSupertest() as unknown as (app: unknown) => { get(url: string): any };
  try {
    await request(app).get(`${mount.replace(/\/+$/, '')}/`).redirects(0);
  } catch {
    return false;
  }
  return internals.observed.seen > before;
}
