import type { DateStorage } from '../db/dates';
import type { DialectName } from '../db/dialect';

/** One table of the host's, as introspection reports it. */
export interface TableFacts {
  name: string;
  columns: Array<{ name: string; dataType: string; required?: boolean }>;
}

/** Reads a value or two from the live data when the schema alone cannot tell (epoch seconds or milliseconds, role values). */
export interface DataSampler {
  /** The largest value of a column, or null on an empty table. */
  max(table: string, column: string): Promise<unknown>;
  /** Up to 20 distinct values of a column. */
  distinct(table: string, column: string): Promise<unknown[]>;
}

/** What init matched for one backstage field: the host column and how it is stored. */
export interface MatchedField {
  /** Backstage's name for it: `email`, `createdAt`, `team_id`, … */
  field: string;
  column: string | null;
  /** How the value is kept, when that matters: `boolean (true = admin)`, `inverted flag`, `epoch-ms`. */
  note?: string;
}

export interface ModelProposal {
  /** `users`, `teams`, `memberships`, `invitations`, `subscriptions`. */
  model: string;
  table: string | null;
  fields: MatchedField[];
  /** Why the table was not found or not used. */
  reason?: string;
}

export interface MappingProposal {
  models: ModelProposal[];
  /** The options to write: only what differs from the defaults. */
  options: ProposedOptions;
  /** Distinct values of the string role column, to show the host. */
  roleValues: string[] | null;
}

export interface ProposedOptions {
  roles?: string[];
  superuserRoles?: string[];
  /** For a boolean role column: the host's user property read by roleOf. */
  booleanRoleProperty?: string;
  /** For a string role column under another name: the host's user property read by roleOf. */
  roleProperty?: string;
  models: Record<string, Record<string, unknown>>;
  /** Billing pages off: no subscriptions table the console can read. */
  billingOff?: boolean;
  /** No role column at all: the generated roleOf lets in the emails listed in BACKSTAGE_ADMINS. */
  noRoleColumn?: boolean;
}

const lower = (s: string) => s.toLowerCase();

function singular(table: string): string {
  const t = lower(table);
  if (t.endsWith('ies')) return `${t.slice(0, -3)}y`;
  if (t.endsWith('ses')) return t.slice(0, -2);
  return t.endsWith('s') ? t.slice(0, -1) : t;
}

const isBooleanType = (type: string) => /^(bool|boolean|tinyint|bit)\b/i.test(type);
const isIntegerType = (type: string) => /^(int|integer|bigint|int4|int8|smallint|mediumint|numeric|decimal|number)\b/i.test(type);
const isTextType = (type: string) => /^(text|varchar|character varying|char|string|clob|tinytext|mediumtext|longtext)\b/i.test(type);

const IGNORED_TABLES = /^(backstage_|knex_|kysely_|_prisma|typeorm_|sequelizemeta|schema_migrations|migrations?$|sessions?$|sqlite_)/i;

function findColumn(table: TableFacts, candidates: string[], accept: (type: string, name: string) => boolean = () => true): { name: string; dataType: string } | null {
  for (const candidate of candidates) {
    const column = table.columns.find((c) => lower(c.name) === candidate && accept(c.dataType, c.name));
    if (column) return column;
  }
  return null;
}

function findTable(tables: TableFacts[], names: string[], exclude: Set<string>): TableFacts | null {
  for (const name of names) {
    const table = tables.find((t) => lower(t.name) === name && !exclude.has(t.name));
    if (table) return table;
  }
  return null;
}

async function dateStorage(dialect: DialectName, table: string, column: { name: string; dataType: string }, sample: DataSampler): Promise<DateStorage> {
  if (isIntegerType(column.dataType)) {
    const max = Number(await sample.max(table, column.name));
    // Seconds since 1970 stay below 1e11 until the year 5138; milliseconds passed it in 1973.
    return Number.isFinite(max) && max > 0 && max < 1e11 ? 'epoch-s' : 'epoch-ms';
  }
  if (dialect !== 'sqlite' && isTextType(column.dataType)) return 'iso-text';
  return 'native';
}

const USERS_TABLES = ['users', 'user', 'accounts', 'account', 'members', 'people', 'customers', 'app_users', 'auth_user', 'auth_users', 'profiles'];
const EMAIL = ['email', 'email_address', 'emailaddress', 'mail', 'login_email', 'user_email', 'e_mail', 'login'];
const CREATED = ['created_at', 'createdat', 'created', 'inserted_at', 'date_joined', 'signed_up_at', 'created_on', 'registered_at', 'signup_date', 'created_date'];

function usersCandidates(tables: TableFacts[]): TableFacts[] {
  const withEmail = tables.filter((t) => !IGNORED_TABLES.test(t.name) && findColumn(t, EMAIL) && !/invit|token|subscri|membership|\w_members?$/i.test(t.name));
  const score = (t: TableFacts) => {
    const index = USERS_TABLES.indexOf(lower(t.name));
    return (index >= 0 ? 100 - index : lower(t.name).includes('user') ? 20 : 0) + (findColumn(t, ['password_hash', 'password', 'encrypted_password', 'hashed_password']) ? 10 : 0);
  };
  return withEmail.filter((t) => score(t) > 0).sort((a, b) => score(b) - score(a));
}

async function proposeUsers(tables: TableFacts[], dialect: DialectName, sample: DataSampler, proposal: MappingProposal): Promise<TableFacts | null> {
  const table = usersCandidates(tables)[0] ?? null;
  if (!table) {
    proposal.models.push({ model: 'users', table: null, fields: [], reason: `no table with an email column looks like users (looked for ${USERS_TABLES.slice(0, 4).join(', ')}, …)` });
    return null;
  }
  const config: Record<string, any> = {};
  const columns: Record<string, string> = {};
  const fields: MatchedField[] = [];
  const keep = (field: string, fallback: string, column: { name: string } | null, note?: string) => {
    fields.push({ field, column: column?.name ?? null, ...(note ? { note } : {}) });
    if (column && column.name !== fallback) columns[field] = column.name;
  };

  if (table.name !== 'users') config.table = table.name;
  const id = findColumn(table, ['id', `${singular(table.name)}_id`, 'uuid', 'user_id', 'account_id']);
  keep('id', 'id', id);
  keep('email', 'email', findColumn(table, EMAIL));
  keep('name', 'name', findColumn(table, ['name', 'full_name', 'fullname', 'display_name', 'displayname', 'username', 'user_name', 'nickname']));

  const stringRole = findColumn(table, ['role', 'user_role', 'account_role', 'role_name', 'access_level'], (type) => !isBooleanType(type) && !isIntegerType(type));
  const booleanRole = stringRole
    ? null
    : findColumn(table, ['is_admin', 'admin', 'is_staff', 'staff', 'is_superuser', 'superuser', 'isadmin'], (type, name) => isBooleanType(type) || (isIntegerType(type) && dialect !== 'postgres') || lower(name).startsWith('is'));
  if (stringRole) {
    keep('role', 'role', stringRole);
    const values = (await sample.distinct(table.name, stringRole.name)).filter((v) => v !== null && v !== undefined).map(String);
    proposal.roleValues = values;
    if (stringRole.name !== 'role') proposal.options.roleProperty = stringRole.name;
  } else if (booleanRole) {
    keep('role', 'role', booleanRole, 'boolean: true = admin, false = user');
    columns.role = booleanRole.name;
    config.role = { kind: 'boolean', trueValue: 'admin', falseValue: 'user' };
    proposal.options.roles = ['admin'];
    proposal.options.superuserRoles = ['admin'];
    proposal.options.booleanRoleProperty = booleanRole.name;
  } else {
    keep('role', 'role', null, 'not found: roleOf reads BACKSTAGE_ADMINS instead');
    proposal.options.noRoleColumn = true;
  }

  const created = findColumn(table, CREATED);
  let dates: DateStorage = 'native';
  if (created) dates = await dateStorage(dialect, table.name, created, sample);
  keep('createdAt', 'created_at', created, dates !== 'native' ? dates : undefined);
  if (dates !== 'native') config.dates = dates;

  const bannedAt = findColumn(table, ['banned_at', 'suspended_at', 'blocked_at', 'disabled_at', 'deactivated_at'], (type) => !isBooleanType(type));
  const bannedFlag = bannedAt ? null : findColumn(table, ['banned', 'is_banned', 'blocked', 'is_blocked', 'suspended', 'is_suspended', 'disabled', 'is_disabled']);
  const activeFlag = bannedAt || bannedFlag ? null : findColumn(table, ['is_active', 'active', 'enabled', 'is_enabled']);
  if (bannedAt) keep('bannedAt', 'banned_at', bannedAt);
  else if (bannedFlag) {
    keep('bannedAt', 'banned_at', bannedFlag, 'boolean: true = banned');
    columns.bannedAt = bannedFlag.name;
    config.banned = { kind: 'boolean' };
  } else if (activeFlag) {
    keep('bannedAt', 'banned_at', activeFlag, 'inverted flag: false = banned');
    columns.bannedAt = activeFlag.name;
    config.banned = { kind: 'active-flag' };
  } else keep('bannedAt', 'banned_at', null);

  const notFlag = (type: string) => !isBooleanType(type);
  keep('confirmedAt', 'confirmed_at', findColumn(table, ['confirmed_at', 'email_confirmed_at', 'email_verified_at', 'verified_at', 'activated_at'], notFlag));
  keep('lastSignInAt', 'last_sign_in_at', findColumn(table, ['last_sign_in_at', 'last_signed_in_at', 'last_login_at', 'last_login', 'last_seen_at', 'last_active_at'], notFlag));

  if (Object.keys(config).length || Object.keys(columns).length) {
    // Read in the order a person checks them: where, which columns, then how values are stored.
    const { table: name, role, banned, dates: storage } = config;
    proposal.options.models.users = {
      ...(name ? { table: name } : {}),
      ...(Object.keys(columns).length ? { columns } : {}),
      ...(role ? { role } : {}),
      ...(banned ? { banned } : {}),
      ...(storage ? { dates: storage } : {}),
    };
  }
  proposal.models.push({ model: 'users', table: table.name, fields });
  return table;
}

interface TableSpec {
  model: string;
  defaultTable: string;
  tables: string[];
  /** Backstage column → candidates; `$team` and `$user` stand for the foreign keys to the chosen teams and users tables. */
  columns: Record<string, string[]>;
  required: string[];
}

function candidatesFor(list: string[], refs: { team: string | null; user: string | null }): string[] {
  return list.flatMap((c) => (c === '$team' ? (refs.team ? [`${refs.team}_id`] : []) : c === '$user' ? (refs.user ? [`${refs.user}_id`] : []) : [c]));
}

const TEAM_REF = ['$team', 'team_id', 'organization_id', 'organisation_id', 'org_id', 'workspace_id', 'company_id', 'account_id', 'group_id'];
const USER_REF = ['$user', 'user_id', 'account_id', 'member_id', 'person_id'];

const SPECS: TableSpec[] = [
  {
    model: 'teams',
    defaultTable: 'teams',
    tables: ['teams', 'team', 'organizations', 'organisations', 'orgs', 'organization', 'workspaces', 'companies'],
    columns: { id: ['id', '$self_id'], name: ['name', 'title', 'display_name', 'company_name'], created_at: CREATED, slug: ['slug', 'handle', 'subdomain'], owner_id: ['owner_id', 'owner_user_id', 'created_by_id', 'created_by', 'creator_id', 'user_id'] },
    required: ['id', 'name'],
  },
  {
    model: 'memberships',
    defaultTable: 'memberships',
    tables: ['memberships', 'team_members', 'team_memberships', 'members', 'organization_members', 'organisation_members', 'org_members', 'workspace_members', 'team_users', 'user_teams', 'organization_users'],
    columns: { team_id: TEAM_REF, user_id: USER_REF, role: ['role', 'member_role', 'access_level'], created_at: CREATED },
    required: ['team_id', 'user_id'],
  },
  {
    model: 'invitations',
    defaultTable: 'invitations',
    tables: ['invitations', 'invites', 'team_invitations', 'organization_invitations', 'invitation'],
    columns: { id: ['id'], team_id: TEAM_REF, email: EMAIL, created_at: CREATED, role: ['role'], invited_by_id: ['invited_by_id', 'inviter_id', 'invited_by', 'created_by_id', 'sender_id'], accepted_at: ['accepted_at'], expires_at: ['expires_at', 'expired_at', 'valid_until'] },
    required: ['id', 'team_id', 'email', 'created_at'],
  },
  {
    model: 'subscriptions',
    defaultTable: 'subscriptions',
    tables: ['subscriptions', 'subscription', 'team_subscriptions', 'plans_subscriptions'],
    columns: {
      id: ['id'],
      team_id: TEAM_REF,
      plan: ['plan', 'plan_name', 'plan_id', 'price_id', 'product'],
      status: ['status', 'state'],
      amount_cents: ['amount_cents', 'price_cents', 'amount', 'unit_amount'],
      currency: ['currency'],
      interval: ['interval', 'billing_interval', 'period'],
      current_period_end: ['current_period_end', 'period_end', 'renews_at', 'ends_at'],
      trial_ends_at: ['trial_ends_at', 'trial_end'],
      canceled_at: ['canceled_at', 'cancelled_at'],
      external_id: ['external_id', 'stripe_id', 'stripe_subscription_id', 'provider_id'],
    },
    required: ['id', 'team_id', 'plan', 'status', 'amount_cents', 'currency', 'interval', 'current_period_end'],
  },
];

async function proposeTable(
  spec: TableSpec,
  tables: TableFacts[],
  used: Set<string>,
  refs: { team: string | null; user: string | null },
  proposal: MappingProposal,
  dialect: DialectName,
  sample: DataSampler,
): Promise<TableFacts | null> {
  const table = findTable(tables, spec.tables, used);
  if (!table) {
    proposal.models.push({ model: spec.model, table: null, fields: [], reason: `no such table (looked for ${spec.tables.slice(0, 4).join(', ')}, …)` });
    return null;
  }
  const fields: MatchedField[] = [];
  const columns: Record<string, string> = {};
  for (const [field, list] of Object.entries(spec.columns)) {
    const candidates = candidatesFor(list, refs).map((c) => (c === '$self_id' ? `${singular(table.name)}_id` : c));
    const column = findColumn(table, candidates);
    fields.push({ field, column: column?.name ?? null });
    if (column && column.name !== field) columns[field] = column.name;
  }
  const missing = spec.required.filter((field) => !fields.find((f) => f.field === field)?.column);
  if (missing.length) {
    proposal.models.push({ model: spec.model, table: table.name, fields, reason: `table "${table.name}" has no column for ${missing.join(', ')}: map it by hand` });
    return null;
  }
  const config: Record<string, unknown> = {};
  if (table.name !== spec.defaultTable) config.table = table.name;
  if (Object.keys(columns).length) config.columns = columns;
  const createdAt = fields.find((f) => f.field === 'created_at')?.column;
  const createdColumn = createdAt ? table.columns.find((c) => c.name === createdAt) : undefined;
  const dates = createdColumn ? await dateStorage(dialect, table.name, createdColumn, sample) : 'native';
  if (dates !== 'native') {
    config.dates = dates;
    fields.find((f) => f.field === 'created_at')!.note = dates;
  }
  if (Object.keys(config).length) proposal.options.models[spec.model] = config;
  proposal.models.push({ model: spec.model, table: table.name, fields });
  used.add(table.name);
  return table;
}

/**
 * Looks at the host's tables and proposes the mapping: which table holds users,
 * teams, memberships, invitations and subscriptions, which columns hold each
 * field, and how flags, roles and dates are stored. Only what differs from the
 * defaults ends up in `options`.
 */
export async function proposeMapping(tables: TableFacts[], dialect: DialectName, sample: DataSampler): Promise<MappingProposal> {
  const proposal: MappingProposal = { models: [], options: { models: {} }, roleValues: null };
  const users = await proposeUsers(tables, dialect, sample, proposal);
  const used = new Set<string>(users ? [users.name] : []);
  const teams = await proposeTable(SPECS[0], tables, used, { team: null, user: users ? singular(users.name) : null }, proposal, dialect, sample);
  const refs = { team: teams ? singular(teams.name) : null, user: users ? singular(users.name) : null };
  if (teams) {
    await proposeTable(SPECS[1], tables, used, refs, proposal, dialect, sample);
    await proposeTable(SPECS[2], tables, used, refs, proposal, dialect, sample);
    const subscriptions = await proposeTable(SPECS[3], tables, used, refs, proposal, dialect, sample);
    const found = findTable(tables, SPECS[3].tables, new Set());
    if (!subscriptions && found) proposal.options.billingOff = true;
  } else {
    for (const spec of SPECS.slice(1)) proposal.models.push({ model: spec.model, table: null, fields: [], reason: 'no teams table to hang it on' });
  }
  return proposal;
}
