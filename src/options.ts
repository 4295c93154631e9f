import type { Request } from 'express';
import type { Store } from 'express-session';
import type { Kysely } from 'kysely';
import { DATE_STORAGES, type DateStorage } from './db/dates';
import type { DialectName } from './db/dialect';
import type { UsersAdapter } from './models/users-adapter';
import type { ResolvedUsersModel, UsersModelConfig } from './models/users-model-config';
import { BackstageConfigError, describeValue } from './options-errors';

/** A table of the host's that the console reads, with columns renamed where the host's names differ. */
export interface TableModelConfig {
  table?: string;
  /** Backstage's column name → the host's column name (or null: the column does not exist). */
  columns?: Record<string, string | null>;
  dates?: DateStorage;
}

export interface ModelsOptions {
  /** The host's users: a table mapping, or an adapter object of its own. */
  users?: UsersModelConfig | UsersAdapter;
  teams?: TableModelConfig;
  memberships?: TableModelConfig;
  invitations?: TableModelConfig;
  subscriptions?: TableModelConfig;
}

export interface ImpersonationOptions {
  /** Makes `user` the signed-in user of the host app (e.g. `req.session.userId = user.id`). */
  signIn: (req: Request, user: { id: string; email: string }) => void | Promise<void>;
  maxMinutes?: number;
  policy?: string;
  canImpersonate?: (operator: unknown, target: unknown) => boolean | Promise<boolean>;
}

/**
 * Options of {@link createAdmin}. Only `db` and `getUser` are required.
 *
 * @example
 * createAdmin({ db, getUser: (req) => req.user ?? null, roles: ['admin', 'superuser'] })
 */
export interface AdminOptions {
  /** The host's Kysely instance (SQLite, PostgreSQL or MySQL/MariaDB). */
  db: Kysely<any>;
  /** The signed-in user of the host app, or null. May be async. */
  getUser: (req: Request) => unknown | Promise<unknown>;
  /** Role values allowed into the console. Default `['admin', 'superuser']`. */
  roles?: string[];
  /** Roles that unlock dangerous actions (changing roles, bulk queue actions). Default `['superuser']`. */
  superuserRoles?: string[];
  /** Reads the role off the host's user. Default `user.role`. */
  roleOf?: (user: any) => unknown;
  /** Reads the id off the host's user. Default `user.id`. */
  idOf?: (user: any) => unknown;
  /** Where anonymous visitors are sent. Default `/login`. */
  loginPath?: string;
  /** The host's tables, mapped onto backstage's vocabulary. */
  models?: ModelsOptions;
  /** Bull or BullMQ queues (or queue adapters). */
  queues?: unknown[] | false;
  impersonation?: ImpersonationOptions | false;
  /** Folders searched before the package's own views, so a host can override one template. */
  views?: string | string[];
  /** Used when the host has no express-session: the store of the console's own session. */
  sessionStore?: Store;
  /** Used when the host has no express-session: the secret of the console's own session cookie. */
  sessionSecret?: string;
  /** Force the SQL dialect when detection cannot tell (bundled, minified Kysely). */
  dialect?: DialectName;
  /** Product name shown in the console's header. */
  appName?: string;
  /** The clock; tests pass a controllable one. */
  now?: () => Date;
}

export interface ResolvedOptions {
  db: Kysely<any>;
  getUser: AdminOptions['getUser'];
  roles: string[];
  superuserRoles: string[];
  roleOf: (user: any) => unknown;
  idOf: (user: any) => unknown;
  loginPath: string;
  usersModel: ResolvedUsersModel | null;
  usersAdapter: UsersAdapter | null;
  teams: ResolvedTableModel<'id' | 'name' | 'created_at' | 'slug' | 'owner_id'>;
  memberships: ResolvedTableModel<'team_id' | 'user_id' | 'role' | 'created_at'>;
  queues: unknown[];
  impersonation: (Required<Pick<ImpersonationOptions, 'signIn' | 'maxMinutes'>> & ImpersonationOptions) | null;
  views: string[];
  sessionStore?: Store;
  sessionSecret?: string;
  dialect?: DialectName;
  appName: string;
  now: () => Date;
}

export interface ResolvedTableModel<C extends string> {
  table: string;
  columns: Record<C, string | null>;
  dates?: DateStorage;
  explicit: ReadonlySet<string>;
}

const USER_COLUMN_DEFAULTS: ResolvedUsersModel['columns'] = {
  id: 'id',
  email: 'email',
  name: 'name',
  role: 'role',
  createdAt: 'created_at',
  bannedAt: 'banned_at',
  confirmedAt: 'confirmed_at',
  lastSignInAt: 'last_sign_in_at',
};

function fail(option: string, expected: string, got: unknown): never {
  throw new BackstageConfigError(`options.${option} must be ${expected}, got ${describeValue(got)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return isObjectValue(value);
}

/** The same test without narrowing, for values whose declared type is already an object. */
function isObjectValue(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringArray(value: unknown, option: string, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v.length > 0)) {
    fail(option, 'a non-empty array of strings', value);
  }
  return [...value];
}

function optionalFunction<T>(value: unknown, option: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') fail(option, 'a function', value);
  return value as T;
}

function isKysely(value: unknown): value is Kysely<any> {
  return isPlainObjectLike(value) && typeof (value as any).selectFrom === 'function' && typeof (value as any).getExecutor === 'function';
}

function isPlainObjectLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

function isUsersAdapter(value: unknown): value is UsersAdapter {
  return isPlainObject(value) && typeof value.list === 'function' && typeof value.get === 'function';
}

function resolveUsersModel(config: UsersModelConfig | undefined, roles: string[], superuserRoles: string[]): ResolvedUsersModel {
  const option = 'models.users';
  if (config !== undefined && !isObjectValue(config)) fail(option, 'an object ({ table, columns }) or a users adapter', config);
  const explicit = new Set<string>();
  const columns = { ...USER_COLUMN_DEFAULTS };
  for (const [key, value] of Object.entries(config?.columns ?? {})) {
    if (!(key in USER_COLUMN_DEFAULTS)) {
      fail(`${option}.columns`, `an object with keys among ${Object.keys(USER_COLUMN_DEFAULTS).join(', ')}`, config!.columns);
    }
    if (value !== null && (typeof value !== 'string' || value === '')) fail(`${option}.columns.${key}`, 'a column name or null', value);
    if ((key === 'id' || key === 'email') && value === null) fail(`${option}.columns.${key}`, 'a column name (it is required)', value);
    (columns as Record<string, string | null>)[key] = value;
    if (value !== null) explicit.add(key);
  }
  const table = config?.table ?? 'users';
  if (typeof table !== 'string' || table === '') fail(`${option}.table`, 'a table name', table);

  const defaultRoleValues = [...new Set(['user', ...roles, ...superuserRoles])];
  let role: ResolvedUsersModel['role'] = { kind: 'string', values: defaultRoleValues };
  if (config?.role !== undefined) {
    if (!isObjectValue(config.role) || (config.role.kind !== 'string' && config.role.kind !== 'boolean')) {
      fail(`${option}.role`, "{ kind: 'string' } or { kind: 'boolean' }", config.role);
    }
    role =
      config.role.kind === 'boolean'
        ? { kind: 'boolean', trueValue: config.role.trueValue ?? roles[0], falseValue: config.role.falseValue ?? 'user' }
        : { kind: 'string', values: stringArray(config.role.values, `${option}.role.values`, defaultRoleValues) };
  }

  const bannedKind = config?.banned?.kind ?? 'timestamp';
  if (!['timestamp', 'boolean', 'active-flag'].includes(bannedKind)) fail(`${option}.banned.kind`, "'timestamp', 'boolean' or 'active-flag'", bannedKind);

  const dates = config?.dates;
  if (dates !== undefined && !DATE_STORAGES.includes(dates)) fail(`${option}.dates`, `one of ${DATE_STORAGES.join(', ')}`, dates);

  return { table, columns, role, banned: { kind: bannedKind }, dates: dates ?? 'native', explicit };
}

function resolveTableModel<C extends string>(config: TableModelConfig | undefined, option: string, defaults: { table: string; columns: Record<C, string | null> }): ResolvedTableModel<C> {
  if (config !== undefined && !isObjectValue(config)) fail(option, 'an object ({ table, columns })', config);
  const columns = { ...defaults.columns };
  const explicit = new Set<string>();
  for (const [key, value] of Object.entries(config?.columns ?? {})) {
    if (!(key in defaults.columns)) fail(`${option}.columns`, `an object with keys among ${Object.keys(defaults.columns).join(', ')}`, config!.columns);
    if (value !== null && (typeof value !== 'string' || value === '')) fail(`${option}.columns.${key}`, 'a column name or null', value);
    (columns as Record<string, string | null>)[key] = value;
    if (value !== null) explicit.add(key);
  }
  if (config?.table !== undefined) {
    if (typeof config.table !== 'string' || config.table === '') fail(`${option}.table`, 'a table name', config.table);
    explicit.add('table');
  }
  if (config?.dates !== undefined && !DATE_STORAGES.includes(config.dates)) fail(`${option}.dates`, `one of ${DATE_STORAGES.join(', ')}`, config.dates);
  return { table: config?.table ?? defaults.table, columns, dates: config?.dates, explicit };
}

function resolveImpersonation(value: unknown): ResolvedOptions['impersonation'] {
  if (value === undefined || value === false) return null;
  if (!isPlainObject(value)) fail('impersonation', 'false or an object with a signIn(req, user) hook', value);
  if (typeof value.signIn !== 'function') fail('impersonation.signIn', 'a function (req, user) that signs the user into the host app', value.signIn);
  const maxMinutes = value.maxMinutes ?? 30;
  if (typeof maxMinutes !== 'number' || !Number.isInteger(maxMinutes) || maxMinutes < 1 || maxMinutes > 24 * 60) {
    fail('impersonation.maxMinutes', 'a whole number of minutes between 1 and 1440', maxMinutes);
  }
  if (value.policy !== undefined && typeof value.policy !== 'string') fail('impersonation.policy', 'a string', value.policy);
  optionalFunction(value.canImpersonate, 'impersonation.canImpersonate', undefined);
  return { ...(value as unknown as ImpersonationOptions), maxMinutes } as ResolvedOptions['impersonation'];
}

/** Validates the options synchronously and applies defaults; every error names the option. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (!isPlainObject(options)) {
    throw new BackstageConfigError(`createAdmin(options) needs an options object ({ db, getUser }), got ${describeValue(options)}`);
  }
  if (!isKysely(options.db)) fail('db', 'a Kysely instance', options.db);
  if (typeof options.getUser !== 'function') fail('getUser', 'a function (req) => the signed-in user or null', options.getUser);

  const roles = stringArray(options.roles, 'roles', ['admin', 'superuser']);
  const superuserRoles = stringArray(options.superuserRoles, 'superuserRoles', ['superuser']);
  const strays = superuserRoles.filter((role) => !roles.includes(role));
  if (strays.length > 0) {
    throw new BackstageConfigError(`options.superuserRoles must be a subset of options.roles (${JSON.stringify(roles)}), got ${JSON.stringify(strays)} outside it`);
  }

  const loginPath = options.loginPath ?? '/login';
  if (typeof loginPath !== 'string' || !loginPath.startsWith('/')) fail('loginPath', "a path starting with '/'", loginPath);

  const models = (options.models ?? {}) as ModelsOptions;
  if (!isObjectValue(models)) fail('models', 'an object', options.models);
  const known = ['users', 'teams', 'memberships', 'invitations', 'subscriptions'];
  const unknownModel = Object.keys(models).find((key) => !known.includes(key));
  if (unknownModel) fail('models', `an object with keys among ${known.join(', ')}`, models);

  const usersAdapter = isUsersAdapter(models.users) ? models.users : null;
  const usersModel = usersAdapter ? null : resolveUsersModel(models.users as UsersModelConfig | undefined, roles, superuserRoles);

  let queues: unknown[] = [];
  if (options.queues !== undefined && options.queues !== false) {
    if (!Array.isArray(options.queues)) fail('queues', 'an array of Bull or BullMQ queues, or false', options.queues);
    queues = options.queues;
  }

  let views: string[] = [];
  if (options.views !== undefined) {
    views = typeof options.views === 'string' ? [options.views] : stringArray(options.views, 'views', []);
  }

  if (options.dialect !== undefined && !['sqlite', 'postgres', 'mysql'].includes(options.dialect as string)) {
    fail('dialect', "'sqlite', 'postgres' or 'mysql'", options.dialect);
  }
  if (options.sessionSecret !== undefined && (typeof options.sessionSecret !== 'string' || options.sessionSecret.length < 16)) {
    fail('sessionSecret', 'a string of at least 16 characters', '(a shorter value)');
  }
  if (options.appName !== undefined && typeof options.appName !== 'string') fail('appName', 'a string', options.appName);

  return {
    db: options.db,
    getUser: options.getUser as AdminOptions['getUser'],
    roles,
    superuserRoles,
    roleOf: optionalFunction(options.roleOf, 'roleOf', (user: any) => user?.role),
    idOf: optionalFunction(options.idOf, 'idOf', (user: any) => user?.id),
    loginPath,
    usersModel,
    usersAdapter,
    teams: resolveTableModel(models.teams, 'models.teams', {
      table: 'teams',
      columns: { id: 'id', name: 'name', created_at: 'created_at', slug: 'slug', owner_id: 'owner_id' },
    }),
    memberships: resolveTableModel(models.memberships, 'models.memberships', {
      table: 'memberships',
      columns: { team_id: 'team_id', user_id: 'user_id', role: 'role', created_at: 'created_at' },
    }),
    queues,
    impersonation: resolveImpersonation(options.impersonation),
    views,
    sessionStore: options.sessionStore as Store | undefined,
    sessionSecret: options.sessionSecret as string | undefined,
    dialect: options.dialect as DialectName | undefined,
    appName: (options.appName as string | undefined) ?? 'Backstage',
    now: optionalFunction(options.now, 'now', () => new Date()),
  };
}
