import type { Request } from 'express';
import type { Store } from 'express-session';
import type { Kysely } from 'kysely';
import { DATE_STORAGES, type DateStorage } from './db/dates';
import type { DialectName } from './db/dialect';
import { connectionKind, wrapConnection, type DbConnection } from './db/wrap-connection';
import { HEX_COLOUR, isSafeLink } from './http/branding';
import type { InvitationsAdapter } from './models/invitations-adapter';
import { isInvitationsAdapter } from './models/invitations-adapter';
import type { BackstageSubscription, SubscriptionsAdapter } from './models/subscriptions-adapter';
import { isSubscriptionsAdapter } from './models/subscriptions-adapter';
import type { TeamsAdapter } from './models/teams-adapter';
import { isTeamsAdapter } from './models/teams-adapter';
import type { Operator } from './http/operator';
import type { ImpersonationEndEvent, ImpersonationStartEvent } from './impersonation/hooks';
import type { BackstageUser, UsersAdapter } from './models/users-adapter';
import type { ResolvedUsersModel, UsersModelConfig } from './models/users-model-config';
import { BackstageConfigError, describeValue } from './options-errors';
import { resolveLiveOptions, type LiveOptions, type ResolvedLiveOptions } from './live/live-options';
import { isSecretKey } from './queues/redact';

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
  /** The host's teams: a table mapping, or a teams adapter object of its own (then memberships are its business). */
  teams?: TableModelConfig | TeamsAdapter;
  memberships?: TableModelConfig;
  invitations?: TableModelConfig | InvitationsAdapter;
  subscriptions?: TableModelConfig | SubscriptionsAdapter;
}

export interface BillingOptions {
  /** The billing provider's page for a subscription (e.g. Stripe's dashboard); only http(s) URLs are linked. */
  externalUrl?: (subscription: BackstageSubscription) => string | null | undefined;
}

/**
 * Impersonation: an operator signs in as a user for a few minutes, with a
 * reason, under `admin.guard` (banner, read-only mode, expiry, audit).
 *
 * @example
 * // express-session host that keeps the user id in the session:
 * impersonation: { signIn: (req, user) => { req.session.userId = user.id; } }
 * // passport host (0.6+ regenerates the session in req.login; the console re-attaches its record afterwards):
 * impersonation: { signIn: (req, user) => new Promise((ok, fail) => req.login(user, (err) => (err ? fail(err) : ok()))) }
 */
export interface ImpersonationOptions {
  /**
   * Required. Makes `user` the signed-in user of the host app (e.g. `req.session.userId = user.id`).
   * Called with the target when an impersonation starts and with the operator when it ends. `user.id` is a string.
   */
  signIn: (req: Request, user: BackstageUser) => void | Promise<void>;
  /**
   * Optional. Signs whoever is signed in out of the host app, for the rare end that does not sign the
   * operator back in (their operator access was withdrawn meanwhile). The session is regenerated
   * first, which is enough for session-based auth; hosts that sign in with their own cookie (JWT) set this.
   */
  signOut?: (req: Request) => void | Promise<void>;
  /** Longest impersonation an operator can choose, in minutes. Default 30. */
  maxMinutes?: number;
  /** The host's rules, shown verbatim on the start page ("Only with the customer's consent, …"). */
  policy?: string;
  /**
   * Who may impersonate whom; must return `true` to allow. Default: nobody whose role is one of
   * `options.roles` (operators) can be impersonated. Yourself and banned users are always refused.
   */
  canImpersonate?: (operator: Operator, target: BackstageUser) => boolean | Promise<boolean>;
  /** Where the operator lands in the host app once the impersonation starts. Default `/`. */
  landingPath?: string;
  /**
   * Insert the banner into the host's HTML pages automatically. Default true. Set false when the
   * host renders it itself (`admin.bannerHtml(req)` or `res.locals.backstageImpersonation`).
   */
  injectBanner?: boolean;
  /**
   * Optional. Called once an impersonation has started (the operator is signed in as the user), e.g.
   * to e-mail the customer. Not awaited: it cannot slow the request down, and an error it throws is
   * logged and never undoes or blocks the impersonation.
   *
   * @example
   * onStart: (e) => mailer.send(e.target.email, `Support (${e.operator.email}) is looking at your account: ${e.reason}`)
   */
  onStart?: (event: ImpersonationStartEvent) => void | Promise<void>;
  /**
   * Optional. Called once an impersonation has ended, however it ended (`event.how`: stopped,
   * expired, killed by a superuser, operator access withdrawn, signed out, …). Same rules as `onStart`.
   */
  onEnd?: (event: ImpersonationEndEvent) => void | Promise<void>;
}

/**
 * Error tracking: `admin.errorHandler`, `admin.captureError` and the Errors page.
 *
 * @example
 * createAdmin({ db, getUser, errors: { retentionDays: 14 } }) // or errors: false to turn it off
 */
export interface ErrorsOptions {
  /** Days an occurrence (stack, request context) is kept; a group's counts are kept for good. Default 30. */
  retentionDays?: number;
}

/**
 * Options of {@link createAdmin}./**
 * Options of {@link createAdmin}. Only `db` and `getUser` are required.
 *
 * @example
 * createAdmin({ db, getUser: (req) => req.user ?? null, roles: ['admin', 'superuser'] })
 */
export interface AdminOptions {
  /**
   * The host's database (SQLite, PostgreSQL or MySQL/MariaDB): its Kysely instance, or what it
   * already has — a `pg` Pool, a better-sqlite3 Database or a mysql2 pool (shared, never closed by
   * the console), or a connection URL (the console opens its own pool of 2, ended by `admin.close()`).
   */
  db: Kysely<any> | DbConnection;
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
  /**
   * Where a job's data names the user and the team it is about, so the user and team pages list
   * their jobs (failed first). Data paths, nested ones allowed; merged over the default
   * `{ user: 'userId', team: 'teamId' }`; `null` turns one link off.
   *
   * @example
   * jobLinks: { user: 'accountId', team: 'meta.team.id' }
   */
  jobLinks?: Partial<Record<JobLinkKind, string | null>>;
  /**
   * The job index by user and team (Redis sorted sets next to the queue's keys, fed by the queue's
   * own events). Default true for Bull and BullMQ queues; `false` keeps the console from writing to
   * Redis for it: the user and team pages then scan the newest jobs instead.
   */
  jobIndex?: boolean;
  /**
   * Above this many jobs a bulk queue action (retry all failed, promote all delayed, remove, clean)
   * needs a second confirmation where the operator types the number. Default 10,000.
   */
  queueBulkCap?: number;
  /** Milliseconds a bulk queue action waits between two batches of 1,000 jobs, leaving Redis to the app's workers. Default 25. */
  queueBulkPauseMs?: number;
  impersonation?: ImpersonationOptions | false;
  /** Error tracking: omitted → on (occurrences kept 30 days), `false` → off, object → configured. */
  errors?: ErrorsOptions | false;
  /** Live updates (dashboard charts, runtime page): omitted → in-process, `false` → off, `{ redis }` → shared by every instance. */
  live?: LiveOptions | false;
  /** The billing page and subscription details: omitted → on, `false` → off, object → configured. */
  billing?: BillingOptions | false;
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
  /** The host's logo, shown in the sidebar: a path on the app (`/logo.svg`) or an http(s) URL. */
  logoUrl?: string;
  /** The host app's own address, linked as "Back to <appName>": a path (`/`) or an http(s) URL. */
  homeUrl?: string;
  /** The console's accent colour, `#rrggbb` or `#rgb` (served as a stylesheet: no inline style). */
  accentColor?: string;
  /** The clock; tests pass a controllable one. */
  now?: () => Date;
}

export interface ResolvedOptions {
  db: Kysely<any>;
  /** True when the console opened `db` itself (a URL): `admin.close()` ends it. */
  ownsDb: boolean;
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
  invitations: ResolvedTableModel<'id' | 'team_id' | 'email' | 'created_at' | 'role' | 'invited_by_id' | 'accepted_at' | 'expires_at'>;
  subscriptions: ResolvedTableModel<
    'id' | 'team_id' | 'plan' | 'status' | 'amount_cents' | 'currency' | 'interval' | 'current_period_end' | 'trial_ends_at' | 'canceled_at' | 'external_id'
  >;
  /** Adapter objects the host passed instead of table mappings (null: use the Kysely mapping). */
  teamsAdapter: TeamsAdapter | null;
  invitationsAdapter: InvitationsAdapter | null;
  subscriptionsAdapter: SubscriptionsAdapter | null;
  /** Null when `billing: false`. */
  billing: BillingOptions | null;
  queues: unknown[];
  /** Data paths tying jobs to users and teams; null when that link is off. */
  jobLinks: Record<JobLinkKind, string | null>;
  jobIndex: boolean;
  queueBulkCap: number;
  queueBulkPauseMs: number;
  /** Null when `errors: false`. */
  errors: { retentionDays: number } | null;
  live: ResolvedLiveOptions;
  impersonation: (Required<Pick<ImpersonationOptions, 'signIn' | 'maxMinutes' | 'landingPath' | 'injectBanner'>> & ImpersonationOptions) | null;
  views: string[];
  sessionStore?: Store;
  sessionSecret?: string;
  dialect?: DialectName;
  appName: string;
  logoUrl: string | null;
  homeUrl: string | null;
  accentColor: string | null;
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

function resolveBilling(value: unknown): BillingOptions | null {
  if (value === false) return null;
  if (value === undefined) return {};
  if (!isPlainObject(value)) fail('billing', 'false or an object ({ externalUrl(subscription) })', value);
  optionalFunction(value.externalUrl, 'billing.externalUrl', undefined);
  return { externalUrl: value.externalUrl as BillingOptions['externalUrl'] };
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
  optionalFunction(value.signOut, 'impersonation.signOut', undefined);
  optionalFunction(value.onStart, 'impersonation.onStart', undefined);
  optionalFunction(value.onEnd, 'impersonation.onEnd', undefined);
  const landingPath = value.landingPath ?? '/';
  // A path on the host, never another origin: '//evil.test' and '/\\evil.test' are protocol-relative to browsers.
  if (typeof landingPath !== 'string' || !landingPath.startsWith('/') || /^\/[/\\]/.test(landingPath)) {
    fail('impersonation.landingPath', "a path on the host app starting with '/'", landingPath);
  }
  const injectBanner = value.injectBanner ?? true;
  if (typeof injectBanner !== 'boolean') fail('impersonation.injectBanner', 'true or false', injectBanner);
  return { ...(value as unknown as ImpersonationOptions), maxMinutes, landingPath, injectBanner } as ResolvedOptions['impersonation'];
}

function resolveErrors(value: unknown): ResolvedOptions['errors'] {
  if (value === false) return null;
  if (value === undefined) return { retentionDays: 30 };
  if (!isPlainObject(value)) fail('errors', 'false or an object ({ retentionDays })', value);
  const retentionDays = value.retentionDays ?? 30;
  if (typeof retentionDays !== 'number' || !Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 3650) {
    fail('errors.retentionDays', 'a whole number of days between 1 and 3650', retentionDays);
  }
  return { retentionDays };
}

/** What `jobLinks` can tie a job to. */
export type JobLinkKind = 'user' | 'team';

const JOB_LINK_DEFAULTS: Record<JobLinkKind, string | null> = { user: 'userId', team: 'teamId' };

/** A dotted path into job data: identifiers, with array indexes allowed after the first segment (`items.0.sku`). */
const DATA_PATH = /^[A-Za-z_$][\w$]*(?:\.(?:[A-Za-z_$][\w$]*|\d+))*$/;

function resolveJobLinks(value: unknown): Record<JobLinkKind, string | null> {
  if (value === undefined) return { ...JOB_LINK_DEFAULTS };
  if (!isPlainObject(value)) fail('jobLinks', "an object of data paths, such as { user: 'userId', team: 'meta.team.id' }", value);
  const kinds = Object.keys(JOB_LINK_DEFAULTS);
  const links = { ...JOB_LINK_DEFAULTS };
  for (const [kind, path] of Object.entries(value)) {
    if (!kinds.includes(kind)) fail('jobLinks', `an object with keys among ${kinds.join(', ')}`, value);
    if (path === null) {
      links[kind as JobLinkKind] = null;
      continue;
    }
    if (typeof path !== 'string' || path.length > 200 || !DATA_PATH.test(path) || path.split('.').some((s) => ['__proto__', 'constructor', 'prototype'].includes(s))) {
      fail(`jobLinks.${kind}`, "a data path such as 'userId' or 'meta.team.id' (dotted identifiers), or null", path);
    }
    const secret = path.split('.').find((segment) => isSecretKey(segment));
    if (secret !== undefined) fail(`jobLinks.${kind}`, `a data path that does not go through a secret-looking key ("${secret}": job data is never searched by secrets)`, path);
    links[kind as JobLinkKind] = path;
  }
  return links;
}

/** Validates the options synchronously and applies defaults; every error names the option. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (!isPlainObject(options)) {
    throw new BackstageConfigError(`createAdmin(options) needs an options object ({ db, getUser }), got ${describeValue(options)}`);
  }
  connectionKind(options.db);
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
  for (const link of ['logoUrl', 'homeUrl'] as const) {
    const value = options[link];
    if (value !== undefined && (typeof value !== 'string' || !isSafeLink(value))) fail(link, "a path starting with '/' or an http(s) URL", value);
  }
  if (options.accentColor !== undefined && (typeof options.accentColor !== 'string' || !HEX_COLOUR.test(options.accentColor))) {
    fail('accentColor', "a hex colour such as '#4f46e5'", options.accentColor);
  }

  const jobLinks = resolveJobLinks(options.jobLinks);
  if (options.jobIndex !== undefined && typeof options.jobIndex !== 'boolean') fail('jobIndex', 'true or false', options.jobIndex);
  const queueBulkCap = options.queueBulkCap ?? 10_000;
  if (typeof queueBulkCap !== 'number' || !Number.isInteger(queueBulkCap) || queueBulkCap < 1) fail('queueBulkCap', 'a whole number of jobs, at least 1', options.queueBulkCap);
  const queueBulkPauseMs = options.queueBulkPauseMs ?? 25;
  if (typeof queueBulkPauseMs !== 'number' || !Number.isInteger(queueBulkPauseMs) || queueBulkPauseMs < 0 || queueBulkPauseMs > 60_000) {
    fail('queueBulkPauseMs', 'a whole number of milliseconds from 0 to 60000', options.queueBulkPauseMs);
  }
  const errors = resolveErrors(options.errors);
  const live = resolveLiveOptions(options.live);
  // Last, once every other option is valid: a URL opens a pool, which must not leak on a thrown error.
  const connection = wrapConnection(options.db);
  return {
    db: connection.db,
    ownsDb: connection.owned,
    getUser: options.getUser as AdminOptions['getUser'],
    roles,
    superuserRoles,
    roleOf: optionalFunction(options.roleOf, 'roleOf', (user: any) => user?.role),
    idOf: optionalFunction(options.idOf, 'idOf', (user: any) => user?.id),
    loginPath,
    usersModel,
    usersAdapter,
    teams: resolveTableModel(isTeamsAdapter(models.teams) ? undefined : models.teams, 'models.teams', {
      table: 'teams',
      columns: { id: 'id', name: 'name', created_at: 'created_at', slug: 'slug', owner_id: 'owner_id' },
    }),
    memberships: resolveTableModel(models.memberships, 'models.memberships', {
      table: 'memberships',
      columns: { team_id: 'team_id', user_id: 'user_id', role: 'role', created_at: 'created_at' },
    }),
    invitations: resolveTableModel(isInvitationsAdapter(models.invitations) ? undefined : models.invitations, 'models.invitations', {
      table: 'invitations',
      columns: { id: 'id', team_id: 'team_id', email: 'email', created_at: 'created_at', role: 'role', invited_by_id: 'invited_by_id', accepted_at: 'accepted_at', expires_at: 'expires_at' },
    }),
    subscriptions: resolveTableModel(isSubscriptionsAdapter(models.subscriptions) ? undefined : models.subscriptions, 'models.subscriptions', {
      table: 'subscriptions',
      columns: {
        id: 'id',
        team_id: 'team_id',
        plan: 'plan',
        status: 'status',
        amount_cents: 'amount_cents',
        currency: 'currency',
        interval: 'interval',
        current_period_end: 'current_period_end',
        trial_ends_at: 'trial_ends_at',
        canceled_at: 'canceled_at',
        external_id: 'external_id',
      },
    }),
    teamsAdapter: isTeamsAdapter(models.teams) ? models.teams : null,
    invitationsAdapter: isInvitationsAdapter(models.invitations) ? models.invitations : null,
    subscriptionsAdapter: isSubscriptionsAdapter(models.subscriptions) ? models.subscriptions : null,
    billing: resolveBilling(options.billing),
    queues,
    jobLinks,
    jobIndex: options.jobIndex !== false,
    queueBulkCap,
    queueBulkPauseMs,
    impersonation: resolveImpersonation(options.impersonation),
    errors,
    live,
    views,
    sessionStore: options.sessionStore as Store | undefined,
    sessionSecret: options.sessionSecret as string | undefined,
    dialect: options.dialect as DialectName | undefined,
    appName: (options.appName as string | undefined) ?? 'Backstage',
    logoUrl: (options.logoUrl as string | undefined) ?? null,
    homeUrl: (options.homeUrl as string | undefined) ?? null,
    accentColor: (options.accentColor as string | undefined) ?? null,
    now: optionalFunction(options.now, 'now', () => new Date()),
  };
}
