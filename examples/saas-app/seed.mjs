// Demo data for Tasklane: deterministic (seeded PRNG; times are relative to "now"),
// realistic enough to make the operator console worth looking at, and fast
// (one transaction, batched inserts).
//
//   node examples/saas-app/seed.mjs           seed an empty database
//   node examples/saas-app/seed.mjs --reset   drop the example's tables and seed again
//
// server.mjs calls seedDemoData() itself when the users table is empty.
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openDatabase, toDbDate } from './db.mjs';
import { createSchema, dropSchema } from './schema.mjs';
import { hashPassword } from './passwords.mjs';
import { MAIL_JOB, openMailQueue } from './mail-queue.mjs';
import { createMailer } from './mailer.mjs';
import { asciiFold, slugify } from './slug.mjs';
import {
  COMPANY_KINDS,
  COMPANY_PREFIXES,
  COMPANY_STEMS,
  FIRST_NAMES,
  FREE_MAIL_DOMAINS,
  LAST_NAMES,
  LEGAL_FORMS,
} from './seed-words.mjs';

export const DEMO_PASSWORD = 'backstage';

export const DEMO_ACCOUNTS = [
  { email: 'super@demo.test', name: 'Sam Okafor', role: 'superuser', description: 'superuser' },
  { email: 'admin@demo.test', name: 'Alex Morgan', role: 'admin', description: 'admin' },
  { email: 'owner@acme.test', name: 'Olivia Hartmann', role: 'user', description: 'user, owner of Acme Inc' },
];

export const SEED_SIZES = { users: 6000, teams: 900, historicalMailJobs: 300 };

/**
 * The demo at scale: `npm run demo -- --size=1m` (or DEMO_SIZE=1m; also 250k, 50000) asks for that many
 * users in all. Null when not asked: the demo keeps its SEED_SIZES.
 */
export function requestedDemoUsers(argv = process.argv.slice(2), env = process.env) {
  return requestedCount('size', 'DEMO_SIZE', argv, env);
}

/** `--<flag>=250k` or the variable `name`, as a number (`1m`, `250k`, `50000`); null when neither is set. */
export function requestedCount(flag, name, argv = process.argv.slice(2), env = process.env) {
  const raw = argv.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3) ?? env[name];
  if (!raw) return null;
  const match = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(raw.trim());
  if (!match) throw new Error(`--${flag} / ${name} must look like 1m, 250k or 50000; got "${raw}"`);
  return Math.round(Number(match[1]) * { '': 1, k: 1e3, m: 1e6 }[match[2].toLowerCase()]);
}

/**
 * Tops the seeded demo up to `users` users (teams, memberships, subscriptions and audit
 * events grow with them) with the fast bulk rows of bench/seed-scale.mjs, then does what a
 * host with that many users would: `npx express-backstage search-index --db <databaseUrl>`,
 * so a search for part of an email reads a trigram index (SQLite, PostgreSQL).
 */
export async function seedDemoToScale({ db, dialect, users, databaseUrl, log = console }) {
  const row = await db.selectFrom('users').select(sql`count(*)`.as('n')).executeTakeFirst();
  const have = Number(row.n);
  if (have >= users) return;
  const { scaleSizes, seedDemoAtScale } = await import('../../bench/seed-scale.mjs');
  await seedDemoAtScale({ db, dialect, sizes: scaleSizes(users - have), log: (message) => log.info(message) });
  const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  log.info('seed: npx express-backstage search-index (the trigram index for searches by part of an email or name)');
  execFileSync(process.execPath, [cli, 'search-index', '--db', databaseUrl], { stdio: 'inherit' });
}

const SEED = 20240611;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const HISTORY_DAYS = 548; // 18 months
const GROWTH = 2.6; // signups per day grow about e^2.6 ≈ 13× over the history
const INVITATION_TTL = 7 * DAY;
const BATCH_SIZE = 500;

// amount_cents by currency, interval and plan
const PRICES = {
  usd: { month: { starter: 1900, pro: 4900, business: 19900 }, year: { starter: 19000, pro: 49000, business: 199000 } },
  eur: { month: { starter: 1900, pro: 4500, business: 17900 }, year: { starter: 19000, pro: 45000, business: 179000 } },
};

/** True when the users table has no rows (the schema must exist). */
export async function needsSeed(db) {
  const row = await db.selectFrom('users').select(sql`count(*)`.as('n')).executeTakeFirst();
  return Number(row.n) === 0;
}

/**
 * Inserts the demo data into empty tables and, when a mail queue is given, replaces
 * its jobs with a few hundred historical invitation emails (a worker must process them).
 */
export async function seedDemoData({ db, dialect, mailQueue = null, log = console, now = new Date() }) {
  const started = performance.now();
  const data = await generateDemoData(now.getTime());
  const at = (ms) => (ms == null ? null : toDbDate(dialect, new Date(ms)));

  await db.transaction().execute(async (trx) => {
    await insertInBatches(trx, 'users', data.users.map((u) => ({
      id: u.id, email: u.email, name: u.name, role: u.role, password_hash: u.passwordHash, created_at: at(u.createdAt),
      banned_at: at(u.bannedAt), confirmed_at: at(u.confirmedAt), last_sign_in_at: at(u.lastSignInAt),
    })));
    await insertInBatches(trx, 'teams', data.teams.map((t) => ({
      id: t.id, name: t.name, slug: t.slug, owner_id: t.owner.id, created_at: at(t.createdAt),
    })));
    await insertInBatches(trx, 'memberships', data.memberships.map((m) => ({
      team_id: m.team.id, user_id: m.user.id, role: m.role, created_at: at(m.createdAt),
    })));
    await insertInBatches(trx, 'invitations', data.invitations.map((i) => ({
      id: i.id, team_id: i.team.id, email: i.email, role: i.role, invited_by_id: i.invitedBy.id, token: i.token,
      created_at: at(i.createdAt), accepted_at: at(i.acceptedAt), expires_at: at(i.expiresAt),
    })));
    await insertInBatches(trx, 'subscriptions', data.subscriptions.map((s) => ({
      id: s.id, team_id: s.team.id, plan: s.plan, status: s.status, amount_cents: s.amountCents, currency: s.currency,
      interval: s.interval, current_period_end: at(s.currentPeriodEnd), trial_ends_at: at(s.trialEndsAt),
      canceled_at: at(s.canceledAt), external_id: s.externalId, created_at: at(s.createdAt),
    })));
    if (dialect === 'postgres') {
      // Rows were inserted with explicit ids; move the identity sequences past them.
      for (const table of ['users', 'teams', 'invitations', 'subscriptions']) {
        await sql`select setval(pg_get_serial_sequence(${table}, 'id'), (select max(id) from ${sql.table(table)}))`.execute(trx);
      }
    }
  });

  const counts = Object.fromEntries(Object.entries(data).map(([name, rows]) => [name, rows.length]));
  log.info(
    `seed: ${fmt(counts.users)} users, ${fmt(counts.teams)} teams, ${fmt(counts.memberships)} memberships, ` +
      `${fmt(counts.invitations)} invitations, ${fmt(counts.subscriptions)} subscriptions ` +
      `in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  if (mailQueue) {
    const jobs = await queueHistoricalInvitationEmails(mailQueue, data.invitations);
    log.info(`seed: replaced the mail queue's jobs with ${fmt(jobs)} invitation emails (those to bounce.test will fail)`);
  }
  return counts;
}

async function insertInBatches(trx, table, rows) {
  for (let i = 0; i < rows.length; i += BATCH_SIZE) {
    await trx.insertInto(table).values(rows.slice(i, i + BATCH_SIZE)).execute();
  }
}

async function queueHistoricalInvitationEmails(queue, invitations) {
  await queue.empty();
  await Promise.all(['completed', 'failed', 'delayed'].map((state) => queue.clean(0, state)));
  const recent = invitations.slice(-SEED_SIZES.historicalMailJobs);
  const acmeBounce = invitations.find((i) => i.team.slug === 'acme' && i.email.endsWith('@bounce.test') && !i.acceptedAt);
  if (acmeBounce && !recent.includes(acmeBounce)) recent.unshift(acmeBounce);
  await queue.addBulk(
    recent.map((i) => ({
      name: MAIL_JOB,
      data: { type: 'send-invitation', invitationId: i.id, teamId: i.team.id, userId: i.invitedBy.id, email: i.email },
    })),
  );
  return recent.length;
}

// ---------------------------------------------------------------------------
// Generation: plain objects with times in epoch milliseconds.

async function generateDemoData(now) {
  const root = createRandom(SEED);
  let rnd = root; // shared stream for choices that do not depend on time; per-entity forks below
  const start = now - HISTORY_DAYS * DAY;
  // `from + delay`, unless that lands in the future: then some moment between `from` and now.
  const later = (r, from, delay) => {
    const fallback = r.between(from, Math.max(from, now - 30_000)); // drawn either way, to keep the stream aligned
    return from + delay < now - 30_000 ? from + delay : fallback;
  };

  // Users, in signup order so that ids follow time like a real autoincrement.
  const specials = [
    { ...DEMO_ACCOUNTS[0], createdAt: start },
    { ...DEMO_ACCOUNTS[1], createdAt: start + 2 * DAY + 3 * HOUR },
    { name: 'Priya Raman', email: 'priya@demo.test', role: 'admin', createdAt: start + 61 * DAY },
    { name: 'Tom Becker', email: 'tom@demo.test', role: 'admin', createdAt: start + 203 * DAY },
    { ...DEMO_ACCOUNTS[2], createdAt: now - 421 * DAY - 5 * HOUR, acmeOwner: true },
  ];
  const users = specials.map((s, i) => ({ ...s, key: `special-${i}`, special: true }));
  const randomCount = SEED_SIZES.users - specials.length;
  // Each user, team and so on draws from its own stream, so that a difference in one
  // (a signup that lands on a weekend today and not tomorrow) does not ripple through the rest.
  for (let i = 0; i < randomCount; i++) {
    const r = rnd.fork('user', i);
    const createdAt = i < 8 ? now - r.between(3 * MINUTE, 6 * HOUR) : signupTime(r, start, now);
    users.push({ key: i, name: `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}`, role: 'user', createdAt, special: false });
  }
  users.sort((a, b) => a.createdAt - b.createdAt);
  users.forEach((u, index) => {
    u.id = index + 1;
    u.teams = [];
  });
  const ordinary = users.filter((u) => !u.special);
  const acmeOwner = users.find((u) => u.acmeOwner);

  // Teams: Acme Inc first, then generated companies, each created shortly after its owner signed up.
  const usedNames = new Set(['acme']);
  const usedSlugs = new Set(['acme']);
  const usedDomains = new Set(['acme.test']);
  const teams = [{ name: 'Acme Inc', slug: 'acme', domain: 'acme.test', euro: false, owner: acmeOwner, createdAt: acmeOwner.createdAt + 11 * MINUTE }];
  const owners = new Set([acmeOwner]);
  while (teams.length < SEED_SIZES.teams) {
    const owner = rnd.pick(ordinary);
    if (owners.has(owner) && rnd.chance(0.9)) continue; // a few people run two teams
    owners.add(owner);
    const company = companyName(rnd, usedNames, usedSlugs, usedDomains);
    const r = rnd.fork('team', company.slug);
    const delay = r.chance(0.65) ? r.between(2 * MINUTE, 2 * HOUR) : r.between(2 * HOUR, 30 * DAY);
    teams.push({ ...company, owner, createdAt: later(r, owner.createdAt, delay) });
  }
  teams.sort((a, b) => a.createdAt - b.createdAt);
  teams.forEach((t, index) => {
    t.id = index + 1;
    t.members = [];
  });
  const acme = teams.find((t) => t.slug === 'acme');

  // Memberships: the owner, then members who mostly signed up after the team existed (they were invited).
  const memberships = [];
  const join = (team, user, role, createdAt) => {
    const membership = { team, user, role, createdAt };
    memberships.push(membership);
    team.members.push(membership);
    user.teams.push(team);
    return membership;
  };
  for (const team of teams) {
    join(team, team.owner, 'owner', team.createdAt);
    const rnd = root.fork('members', team.slug);
    const extra = team === acme ? 13 : teamSize(rnd);
    const firstLater = firstIndexAtOrAfter(users, team.createdAt);
    for (let n = 0, tries = 0; n < extra && tries < extra * 20; tries++) {
      const user = firstLater < users.length - 3 && rnd.chance(0.8) ? users[rnd.int(firstLater, users.length - 1)] : rnd.pick(users);
      if (user.special || team.members.some((m) => m.user === user)) continue;
      const joinedAfterSignup = user.createdAt > team.createdAt;
      const base = Math.max(team.createdAt, user.createdAt);
      const createdAt = later(rnd, base, joinedAfterSignup ? rnd.between(MINUTE, 2 * HOUR) : rnd.between(HOUR, 20 * DAY));
      const admin = team === acme ? n < 2 : rnd.chance(0.15);
      join(team, user, admin ? 'admin' : 'member', createdAt);
      n++;
    }
    if (team.members.length >= 8 && !team.members.some((m) => m.role === 'admin')) team.members[1].role = 'admin';
  }
  memberships.sort((a, b) => a.createdAt - b.createdAt);

  // Emails: people in a team mostly use the company's domain.
  const usedEmails = new Set(specials.map((s) => s.email));
  for (const user of users) {
    if (user.email) continue;
    const rnd = root.fork('email', user.key);
    const [first, ...rest] = user.name.split(' ');
    const last = rest.join(' ');
    const team = [...user.teams].sort((a, b) => a.createdAt - b.createdAt)[0];
    let domain;
    if (user.teams.includes(acme)) domain = 'acme.test';
    else if (team && rnd.chance(team.owner === user ? 0.75 : 0.65)) domain = team.domain;
    else if (!team && rnd.chance(0.08)) domain = rnd.pick(teams).domain;
    else domain = rnd.weighted(FREE_MAIL_DOMAINS);
    user.email = uniqueEmail(rnd, usedEmails, first, last, domain, !FREE_MAIL_DOMAINS.some(([d]) => d === domain));
  }

  // Account state: confirmation, bans, sign-ins, password hashes.
  for (const user of users) {
    const rnd = root.fork('account', user.key);
    const recent = now - user.createdAt < 3 * DAY;
    const confirmed = user.special || !rnd.chance(recent ? 0.35 : 0.012);
    user.confirmedAt = confirmed
      ? later(rnd, user.createdAt, rnd.chance(0.8) ? rnd.between(20_000, 15 * MINUTE) : rnd.between(15 * MINUTE, 3 * DAY))
      : null;
    if (user.special) continue;
    const roll = rnd.next();
    if (roll < 0.03) user.lastSignInAt = null;
    else if (roll < 0.75) user.lastSignInAt = now - (now - user.createdAt) * rnd.next() ** 3; // active, recently seen
    else user.lastSignInAt = later(rnd, user.createdAt, rnd.between(0, 14 * DAY)); // tried it, left
    user.passwordHash = unusablePasswordHash(rnd); // only the demo accounts can sign in
  }
  const specialSignIns = { 'super@demo.test': 2 * HOUR, 'admin@demo.test': 25 * MINUTE, 'priya@demo.test': 3 * DAY, 'tom@demo.test': 9 * HOUR, 'owner@acme.test': DAY };
  for (const user of users.filter((u) => u.special)) {
    user.lastSignInAt = now - specialSignIns[user.email];
    user.passwordHash = DEMO_ACCOUNTS.some((a) => a.email === user.email)
      ? await hashPassword(DEMO_PASSWORD)
      : unusablePasswordHash(rnd);
  }
  const bannable = ordinary.filter((u) => !owners.has(u));
  for (let banned = 0; banned < 24; ) {
    const user = rnd.pick(bannable);
    if (user.bannedAt) continue;
    user.bannedAt = later(rnd, user.createdAt, rnd.between(HOUR, 90 * DAY));
    banned++;
  }
  // and one spam signup from this morning, banned an hour later
  const spammer = users.filter((u) => !u.special && !owners.has(u) && now - u.createdAt < 6 * HOUR && now - u.createdAt > 2 * HOUR)[0];
  if (spammer) spammer.bannedAt = spammer.createdAt + HOUR;
  for (const user of users) {
    if (user.bannedAt && user.lastSignInAt > user.bannedAt) user.lastSignInAt = Math.max(user.createdAt, user.bannedAt - 17 * MINUTE);
  }

  // Invitations: accepted ones behind most members, plus pending and expired ones.
  const invitations = [];
  const invite = (team, email, role, invitedBy, createdAt, acceptedAt = null) =>
    invitations.push({ team, email, role, invitedBy, createdAt, acceptedAt, expiresAt: createdAt + INVITATION_TTL, token: rnd.base64url(24) });
  const inviterFor = (team, before) => {
    const admins = team.members.filter((m) => m.role !== 'member' && m.createdAt < before);
    return (admins.length ? rnd.pick(admins) : team.members[0]).user;
  };
  for (const team of teams) {
    rnd = root.fork('invitations', team.slug);
    for (const m of team.members) {
      if (m.role === 'owner' || !rnd.chance(team === acme ? 1 : 0.65)) continue;
      const createdAt = Math.max(team.createdAt, m.createdAt - rnd.between(5 * MINUTE, 2 * DAY));
      invite(team, m.user.email, m.role, inviterFor(team, createdAt + 1), createdAt, m.createdAt);
    }
    const memberEmails = new Set(team.members.map((m) => m.user.email));
    const newcomerEmail = (bounceRate) => {
      const [first, last] = [rnd.pick(FIRST_NAMES), rnd.pick(LAST_NAMES)];
      const domain = rnd.chance(bounceRate) ? 'bounce.test' : rnd.chance(0.7) ? team.domain : rnd.weighted(FREE_MAIL_DOMAINS);
      const email = uniqueEmail(rnd, usedEmails, first, last, domain, domain === team.domain);
      return memberEmails.has(email) ? null : email;
    };
    if (team !== acme && team.createdAt < now - 8 * DAY && rnd.chance(0.22)) {
      for (let n = rnd.int(1, 3); n > 0; n--) {
        const createdAt = rnd.between(team.createdAt, now - 8 * DAY);
        const email = newcomerEmail(0.08);
        if (email) invite(team, email, 'member', inviterFor(team, createdAt), createdAt);
      }
    }
    if (team !== acme && rnd.chance(now - team.createdAt < 7 * DAY ? 0.5 : 0.18)) {
      for (let n = rnd.int(1, 3); n > 0; n--) {
        const createdAt = rnd.between(Math.max(team.createdAt, now - INVITATION_TTL + HOUR), now - MINUTE);
        const email = newcomerEmail(0.1);
        if (email) invite(team, email, rnd.chance(0.15) ? 'admin' : 'member', inviterFor(team, createdAt), createdAt);
      }
    }
  }
  rnd = root.fork('invitations', 'acme-extra');
  const acmeInvitedAt = (ago) => now - ago;
  invite(acme, 'jordan.blake@bounce.test', 'member', acmeOwner, acmeInvitedAt(2 * DAY + 3 * HOUR));
  invite(acme, 'li.wei@acme.test', 'admin', acmeOwner, acmeInvitedAt(5 * HOUR));
  invite(acme, 'finance@acme.test', 'member', acmeOwner, acmeInvitedAt(3 * DAY));
  invite(acme, 'm.rossi@libero.it', 'member', acmeOwner, acmeInvitedAt(40 * DAY));
  invitations.sort((a, b) => a.createdAt - b.createdAt);
  invitations.forEach((i, index) => {
    i.id = index + 1;
  });

  // Subscriptions: most teams pay; young teams are trialing.
  const subscriptions = [];
  for (const team of teams) {
    const rnd = root.fork('subscription', team.slug);
    const size = team.members.length;
    if (team !== acme && !rnd.chance(size === 1 ? 0.55 : 0.8)) continue;
    const s = team === acme ? acmeSubscription(team, now) : subscriptionFor(rnd, team, size, now);
    s.team = team;
    s.amountCents = PRICES[s.currency][s.interval][s.plan];
    s.externalId = `sub_1${rnd.base62(23)}`;
    subscriptions.push(s);
  }
  subscriptions.sort((a, b) => a.createdAt - b.createdAt);
  subscriptions.forEach((s, index) => {
    s.id = index + 1;
  });

  return { users, teams, memberships, invitations, subscriptions };
}

function signupTime(rnd, start, now) {
  for (;;) {
    const x = Math.log1p(rnd.next() * Math.expm1(GROWTH)) / GROWTH; // inverse CDF of an exponential growth curve
    const t = start + x * (now - start);
    const date = new Date(t);
    const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
    const night = date.getUTCHours() < 6;
    if ((weekend && rnd.chance(0.45)) || (night && rnd.chance(0.5))) continue;
    if (t < now - MINUTE) return t;
  }
}

function teamSize(rnd) {
  const bucket = rnd.weighted([[0, 38], [1, 30], [2, 20], [3, 9], [4, 3]]);
  return [0, rnd.int(1, 3), rnd.int(4, 9), rnd.int(10, 24), rnd.int(25, 60)][bucket];
}

function subscriptionFor(rnd, team, size, now) {
  const age = now - team.createdAt;
  const plan = rnd.weighted(
    size === 1 ? [['starter', 65], ['pro', 30], ['business', 5]]
      : size < 10 ? [['starter', 35], ['pro', 50], ['business', 15]]
        : [['starter', 10], ['pro', 50], ['business', 40]],
  );
  const currency = team.euro || rnd.chance(0.06) ? 'eur' : 'usd';
  let interval = rnd.chance(0.25) ? 'year' : 'month';
  const status = age < 14 * DAY
    ? rnd.weighted([['trialing', 80], ['active', 20]])
    : rnd.weighted([['active', 72], ['past_due', 7], ['canceled', 15], ['trialing', 6]]);
  const s = { plan, currency, interval, status, trialEndsAt: null, canceledAt: null };

  if (status === 'trialing') {
    s.createdAt = age < 14 * DAY ? team.createdAt + rnd.between(0, Math.min(age, DAY)) : now - rnd.between(HOUR, 13 * DAY);
    s.trialEndsAt = s.createdAt + 14 * DAY;
    s.currentPeriodEnd = s.trialEndsAt;
    return s;
  }
  // Paying since the end of a trial, or since some time after the team started.
  s.createdAt = age < 14 * DAY
    ? team.createdAt + rnd.between(MINUTE, Math.max(MINUTE, age / 2))
    : team.createdAt + (rnd.chance(0.6) ? 14 * DAY : rnd.between(HOUR, Math.min(age / 2, 120 * DAY)));
  if (status === 'active') {
    s.currentPeriodEnd = nextRenewal(s.createdAt, interval, now);
  } else if (status === 'past_due') {
    // The latest renewal failed; the provider has already opened the new period.
    if (interval === 'year' && now - lastRenewal(s.createdAt, 12, now) > 30 * DAY) s.interval = interval = 'month';
    const failedRenewal = lastRenewal(s.createdAt, interval === 'year' ? 12 : 1, now);
    if (failedRenewal === null) {
      s.status = 'active'; // still in its first period: nothing to fail yet
      s.currentPeriodEnd = nextRenewal(s.createdAt, interval, now);
    } else {
      s.currentPeriodEnd = addMonths(failedRenewal, interval === 'year' ? 12 : 1);
    }
  } else {
    // Canceled at the end of a paid period, or right away when it is the first one.
    const boundaries = [];
    for (let t = addMonths(s.createdAt, interval === 'year' ? 12 : 1); t < now - HOUR; t = addMonths(t, interval === 'year' ? 12 : 1)) boundaries.push(t);
    if (boundaries.length) {
      s.canceledAt = rnd.pick(boundaries);
      s.currentPeriodEnd = s.canceledAt;
    } else {
      s.canceledAt = rnd.between(s.createdAt + HOUR, now - HOUR);
      s.currentPeriodEnd = s.canceledAt;
    }
  }
  return s;
}

function acmeSubscription(team, now) {
  const createdAt = team.createdAt + 14 * DAY;
  return { plan: 'pro', status: 'active', currency: 'usd', interval: 'month', createdAt, currentPeriodEnd: nextRenewal(createdAt, 'month', now), trialEndsAt: null, canceledAt: null };
}

function nextRenewal(from, interval, now) {
  let t = from;
  while (t <= now) t = addMonths(t, interval === 'year' ? 12 : 1);
  return t;
}

/** The last renewal date at or before `now`, or null while the first period runs. */
function lastRenewal(from, months, now) {
  let last = null;
  for (let t = addMonths(from, months); t <= now; t = addMonths(t, months)) last = t;
  return last;
}

function addMonths(ms, months) {
  const d = new Date(ms);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, lastDay));
  return d.getTime();
}

function firstIndexAtOrAfter(sortedUsers, time) {
  let lo = 0;
  let hi = sortedUsers.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sortedUsers[mid].createdAt < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function companyName(rnd, usedNames, usedSlugs, usedDomains) {
  for (;;) {
    const [legal, tlds, euro] = rnd.weighted(LEGAL_FORMS.map(([l, t, e, w]) => [[l, t, e], w]));
    const style = rnd.next();
    let core;
    if (style < 0.5) core = `${rnd.pick(COMPANY_PREFIXES)}${rnd.pick(COMPANY_STEMS)}${rnd.chance(0.5) ? ` ${rnd.pick(COMPANY_KINDS)}` : ''}`;
    else if (style < 0.75) core = `${rnd.pick(COMPANY_PREFIXES)} ${rnd.pick(COMPANY_KINDS)}`;
    else if (style < 0.88) core = `${rnd.pick(LAST_NAMES)} & ${rnd.pick(LAST_NAMES)}`;
    else core = `${rnd.pick(LAST_NAMES)} ${rnd.pick(COMPANY_KINDS)}`;
    const slug = slugify(core);
    if (usedNames.has(core.toLowerCase()) || usedSlugs.has(slug) || /(\w+) & \1$/.test(core)) continue;
    const domain = `${slug.replace(/-/g, '')}.${rnd.pick(tlds)}`;
    if (usedDomains.has(domain)) continue;
    usedNames.add(core.toLowerCase());
    usedSlugs.add(slug);
    usedDomains.add(domain);
    return { name: legal ? `${core} ${legal}` : core, slug, domain, euro };
  }
}

function uniqueEmail(rnd, used, firstName, lastName, domain, isCompany) {
  const first = asciiFold(firstName).toLowerCase().replace(/[^a-z]/g, '');
  const last = asciiFold(lastName).toLowerCase().replace(/[^a-z]/g, '');
  const patterns = isCompany
    ? [[`${first}.${last}`, 50], [first, 8], [`${first[0]}${last}`, 22], [`${first}${last[0]}`, 5], [`${first}_${last}`, 5], [`${first}-${last}`, 10]]
    : [[`${first}.${last}`, 28], [`${first}${last}`, 14], [`${first}.${last}${rnd.int(1, 99)}`, 15], [`${first}${last[0]}${rnd.int(1, 999)}`, 10],
      [`${first}_${last}`, 10], [`${last}${first}`, 5], [`${first}${rnd.int(1965, 2004)}`, 18]];
  let local = rnd.weighted(patterns);
  while (used.has(`${local}@${domain}`)) local = `${local.replace(/\d+$/, '')}${rnd.int(2, 999)}`;
  used.add(`${local}@${domain}`);
  return `${local}@${domain}`;
}

// Same format as passwords.mjs, with random bytes: nobody knows a password that matches.
function unusablePasswordHash(rnd) {
  return `scrypt$16384$8$1$${rnd.base64url(16)}$${rnd.base64url(32)}`;
}

// sfc32: small, fast and good enough for demo data.
function createRandom(seed) {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const result = (t + d) | 0;
    c = (c + result) | 0;
    return (result >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return {
    next,
    /** An independent stream for one entity: same seed and keys, same numbers. */
    fork: (...keys) => createRandom(hashSeed(`${seed}:${keys.join(':')}`)),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    between: (min, max) => Math.round(min + next() * (max - min)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    weighted(pairs) {
      const total = pairs.reduce((sum, [, w]) => sum + w, 0);
      let roll = next() * total;
      for (const [value, weight] of pairs) if ((roll -= weight) < 0) return value;
      return pairs[pairs.length - 1][0];
    },
    base62: (length) => Array.from({ length }, () => BASE62[Math.floor(next() * 62)]).join(''),
    base64url: (bytes) => Buffer.from(Array.from({ length: bytes }, () => Math.floor(next() * 256))).toString('base64url'),
  };
}

// FNV-1a
function hashSeed(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

const fmt = (n) => n.toLocaleString('en-US');

// ---------------------------------------------------------------------------
// CLI

async function main(argv) {
  const reset = argv.includes('--reset');
  const log = { info: (m) => console.log(m), warn: (m) => console.warn(m) };
  const { db, dialect, label } = await openDatabase(process.env.DATABASE_URL);
  let mailQueue = null;
  try {
    if (reset) {
      await dropSchema(db);
      log.info(`seed: dropped the example's tables in ${label}`);
    }
    await createSchema(db, dialect);
    if (!(await needsSeed(db))) {
      log.info(`seed: ${label} already has users; run with --reset to start over.`);
      return;
    }
    mailQueue = await openMailQueue({ redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', log });
    await seedDemoData({ db, dialect, mailQueue, log });
    if (mailQueue) {
      // Play the queued emails through the mailer so the queue has completed and failed jobs.
      mailQueue.process(MAIL_JOB, 10, createMailer({ db }));
      const counts = await settle(mailQueue, 90_000);
      log.info(`seed: mail queue settled: ${fmt(counts.completed)} completed, ${fmt(counts.failed)} failed`);
    }
  } finally {
    await mailQueue?.close();
    await db.destroy();
  }
}

async function settle(queue, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queue.getJobCounts();
    if (counts.waiting + counts.active + counts.delayed === 0 || Date.now() > deadline) return counts;
    await sleep(500);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
