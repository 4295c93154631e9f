import { Kysely, SqliteDialect } from 'kysely';
import Database from 'better-sqlite3';
import { createAdmin } from '../src';

const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
const getUser = () => null;

afterAll(() => db.destroy());

describe('createAdmin validates its options with messages that name the option', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['no db', { getUser }, 'express-backstage: options.db must be a Kysely instance, a pg Pool, a better-sqlite3 Database, a mysql2 pool, a Knex instance or knexfile config, or a connection URL (postgres://…, mysql://…, sqlite:<file>), got undefined'],
    ['a db that is not a database', { db: { query: () => 1 }, getUser }, 'options.db must be a Kysely instance, a pg Pool, a better-sqlite3 Database, a mysql2 pool, a Knex instance or knexfile config, or a connection URL (postgres://…, mysql://…, sqlite:<file>), got an object with keys query'],
    ['no getUser', { db }, 'options.getUser must be a function (req) => the signed-in user or null, got undefined'],
    ['empty roles', { db, getUser, roles: [] }, 'express-backstage: options.roles must be a non-empty array of strings, got []'],
    ['roles not strings', { db, getUser, roles: ['admin', 3] }, 'options.roles must be a non-empty array of strings, got ["admin",3]'],
    ['superuser role outside roles', { db, getUser, roles: ['admin'], superuserRoles: ['root'] }, 'options.superuserRoles must be a subset of options.roles (["admin"]), got ["root"] outside it'],
    ['relative loginPath', { db, getUser, loginPath: 'login' }, "options.loginPath must be a path starting with '/', got \"login\""],
    ['queues not an array', { db, getUser, queues: {} }, 'options.queues must be an array of Bull or BullMQ queues, or false, got an object'],
    ['an unknown model', { db, getUser, models: { customers: {} } }, 'options.models must be an object with keys among users, teams, memberships, invitations, subscriptions'],
    ['an unknown users column', { db, getUser, models: { users: { columns: { mail: 'email' } } } }, 'options.models.users.columns must be an object with keys among id, email'],
    ['email column set to null', { db, getUser, models: { users: { columns: { email: null } } } }, 'options.models.users.columns.email must be a column name (it is required), got null'],
    ['a bad role kind', { db, getUser, models: { users: { role: { kind: 'enum' } } } }, "options.models.users.role must be { kind: 'string' } or { kind: 'boolean' }"],
    ['a bad date storage', { db, getUser, models: { users: { dates: 'unix' } } }, 'options.models.users.dates must be one of native, iso-text, epoch-ms, epoch-s, got "unix"'],
    ['impersonation without signIn', { db, getUser, impersonation: {} }, 'options.impersonation.signIn must be a function (req, user) that signs the user into the host app, got undefined'],
    ['a short session secret', { db, getUser, sessionSecret: 'short' }, 'options.sessionSecret must be a string of at least 16 characters'],
  ])('%s', (_name, options, message) => {
    expect(() => createAdmin(options as any)).toThrow(message);
  });

  it('does not print a secret it rejects', () => {
    expect(() => createAdmin({ db, getUser, sessionSecret: 'hunter2' } as any)).not.toThrow(/hunter2/);
  });

  it('detects the classic slip app.use("/admin", createAdmin) without a call', () => {
    const fakeReq = { method: 'GET', url: '/', headers: {} };
    expect(() => (createAdmin as any)(fakeReq, {}, () => {})).toThrow("app.use('/admin', createAdmin({ db, getUser })), not app.use('/admin', createAdmin)");
  });

  it('returns an Express router with the named extras and patches nothing global', () => {
    const admin = createAdmin({ db, getUser });
    expect(typeof admin).toBe('function');
    expect(typeof admin.guard).toBe('function');
    expect(typeof admin.migrate).toBe('function');
    expect(typeof admin.close).toBe('function');
    admin.ready().catch(() => {});
  });

  it('reports a users table that does not exist at start-up, listing what it found', async () => {
    const empty = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    await empty.schema.createTable('accounts').addColumn('id', 'integer').execute();
    const errorLog = jest.spyOn(console, 'error').mockImplementation(() => {});
    const admin = createAdmin({ db: empty, getUser });
    await expect(admin.ready()).rejects.toThrow('options.models.users.table is "users", but no such table exists (tables found: accounts)');
    errorLog.mockRestore();
    await empty.destroy();
  });
});
