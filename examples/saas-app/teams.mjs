// Teams, members and invitations: the part of Tasklane the console is mostly about.
import { randomBytes } from 'node:crypto';
import express from 'express';
import { sql } from 'kysely';
import { insertReturningId, isUniqueViolation, toDbDate } from './db.mjs';
import { isEmail, normalizeEmail } from './auth.mjs';
import { enqueueInvitationEmail } from './mail-queue.mjs';
import { slugify } from './slug.mjs';
import { errorPage, invitationPage, myTeamsPage, sendPage, teamPage } from './views.mjs';

const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const INVITING_ROLES = ['owner', 'admin'];

/** Routes under /app (signed-in users only). */
export function teamRoutes({ db, dialect, mailQueue, log = console }) {
  const router = express.Router();
  const now = () => toDbDate(dialect);

  router.get('/', async (req, res) => {
    const [teams, invitations] = await Promise.all([
      teamsOf(db, req.user.id),
      db.selectFrom('invitations')
        .innerJoin('teams', 'teams.id', 'invitations.team_id')
        .select(['invitations.id', 'invitations.role', 'invitations.expires_at', 'teams.name as team_name'])
        .where('invitations.email', '=', req.user.email)
        .where('invitations.accepted_at', 'is', null)
        .where('invitations.expires_at', '>', now())
        .orderBy('invitations.created_at', 'desc')
        .execute(),
    ]);
    sendPage(req, res, { title: 'My teams', body: myTeamsPage({ teams, invitations }) });
  });

  router.post('/teams', async (req, res) => {
    const name = String(req.body.name ?? '').trim().replace(/\s+/g, ' ');
    if (name.length < 2 || name.length > 80) {
      req.session.flash = { kind: 'error', message: 'A team name needs 2 to 80 characters.' };
      return res.redirect(303, '/app');
    }
    const base = slugify(name).slice(0, 60) || 'team';
    for (let attempt = 0; ; attempt++) {
      const slug = attempt === 0 ? base : `${base}-${randomBytes(3).toString('hex')}`;
      try {
        await db.transaction().execute(async (trx) => {
          const createdAt = now();
          const teamId = await insertReturningId(trx, dialect, 'teams', { name, slug, owner_id: req.user.id, created_at: createdAt });
          await trx.insertInto('memberships').values({ team_id: teamId, user_id: req.user.id, role: 'owner', created_at: createdAt }).execute();
        });
        req.session.flash = { kind: 'ok', message: `${name} is ready. Invite your colleagues below.` };
        return res.redirect(303, `/app/teams/${slug}`);
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 3) throw error;
      }
    }
  });

  router.get('/teams/:slug', async (req, res) => {
    const team = await teamForMember(db, req.params.slug, req.user.id);
    if (!team) return notFound(req, res);
    const [members, invitations] = await Promise.all([
      db.selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select(['users.id', 'users.name', 'users.email', 'memberships.role', 'memberships.created_at'])
        .where('memberships.team_id', '=', team.id)
        .orderBy(sql`case memberships.role when 'owner' then 0 when 'admin' then 1 else 2 end`)
        .orderBy('memberships.created_at')
        .orderBy('users.id')
        .execute(),
      db.selectFrom('invitations')
        .leftJoin('users', 'users.id', 'invitations.invited_by_id')
        .select(['invitations.id', 'invitations.email', 'invitations.role', 'invitations.created_at', 'invitations.expires_at', 'users.name as inviter_name'])
        .where('invitations.team_id', '=', team.id)
        .where('invitations.accepted_at', 'is', null)
        .where('invitations.expires_at', '>', now())
        .orderBy('invitations.created_at', 'desc')
        .execute(),
    ]);
    sendPage(req, res, {
      title: team.name,
      body: teamPage({ team, members, invitations, myRole: team.my_role, mailEnabled: Boolean(mailQueue) }),
    });
  });

  router.post('/teams/:slug/invitations', async (req, res) => {
    const team = await teamForMember(db, req.params.slug, req.user.id);
    if (!team) return notFound(req, res);
    if (!INVITING_ROLES.includes(team.my_role)) {
      return sendPage(req, res, { status: 403, title: 'Not allowed', body: errorPage({ status: 403, title: 'Not allowed', message: 'Only owners and admins can invite people to this team.' }) });
    }
    const back = () => res.redirect(303, `/app/teams/${team.slug}`);
    const email = normalizeEmail(req.body.email);
    const role = req.body.role === 'admin' ? 'admin' : 'member';
    if (!isEmail(email)) {
      req.session.flash = { kind: 'error', message: 'Please enter a valid email address.' };
      return back();
    }
    const member = await db.selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select('users.id')
      .where('memberships.team_id', '=', team.id)
      .where('users.email', '=', email)
      .executeTakeFirst();
    if (member) {
      req.session.flash = { kind: 'error', message: `${email} is already a member of ${team.name}.` };
      return back();
    }
    const pending = await db.selectFrom('invitations')
      .select('id')
      .where('team_id', '=', team.id)
      .where('email', '=', email)
      .where('accepted_at', 'is', null)
      .where('expires_at', '>', now())
      .executeTakeFirst();
    if (pending) {
      req.session.flash = { kind: 'warn', message: `${email} already has a pending invitation.` };
      return back();
    }

    const createdAt = new Date();
    const invitationId = await insertReturningId(db, dialect, 'invitations', {
      team_id: team.id,
      email,
      role,
      invited_by_id: req.user.id,
      token: randomBytes(24).toString('base64url'),
      created_at: toDbDate(dialect, createdAt),
      expires_at: toDbDate(dialect, new Date(createdAt.getTime() + INVITATION_TTL_MS)),
    });
    if (!mailQueue) {
      req.session.flash = { kind: 'warn', message: `Invitation for ${email} saved. Mail is not being sent in this demo (Redis is not reachable), so let them know yourself.` };
      return back();
    }
    try {
      await enqueueInvitationEmail(mailQueue, { invitationId, teamId: team.id, invitedById: req.user.id, email });
      req.session.flash = { kind: 'ok', message: `Invitation sent to ${email}.` };
    } catch (error) {
      log.warn(`mail: could not queue invitation ${invitationId}: ${error.message}`);
      req.session.flash = { kind: 'warn', message: `Invitation for ${email} saved, but the email could not be queued. Try again later.` };
    }
    back();
  });

  router.post('/invitations/:id/accept', async (req, res) => {
    const invitation = await db.selectFrom('invitations')
      .innerJoin('teams', 'teams.id', 'invitations.team_id')
      .select(['invitations.id', 'invitations.team_id', 'invitations.role', 'invitations.accepted_at', 'invitations.expires_at', 'teams.name as team_name', 'teams.slug'])
      .where('invitations.id', '=', Number(req.params.id) || 0)
      .where('invitations.email', '=', req.user.email)
      .executeTakeFirst();
    if (!invitation) return notFound(req, res);
    if (!invitation.accepted_at) {
      if (new Date(invitation.expires_at) <= new Date()) {
        req.session.flash = { kind: 'error', message: `That invitation to ${invitation.team_name} has expired. Ask for a new one.` };
        return res.redirect(303, '/app');
      }
      await db.transaction().execute(async (trx) => {
        const acceptedAt = now();
        const existing = await trx.selectFrom('memberships').select('user_id')
          .where('team_id', '=', invitation.team_id).where('user_id', '=', req.user.id).executeTakeFirst();
        if (!existing) {
          await trx.insertInto('memberships')
            .values({ team_id: invitation.team_id, user_id: req.user.id, role: invitation.role, created_at: acceptedAt })
            .execute();
        }
        await trx.updateTable('invitations').set({ accepted_at: acceptedAt })
          .where('id', '=', invitation.id).where('accepted_at', 'is', null).execute();
      });
      req.session.flash = { kind: 'ok', message: `Welcome to ${invitation.team_name}!` };
    }
    res.redirect(303, `/app/teams/${invitation.slug}`);
  });

  return router;
}

/** GET /invitations/:token, the link in the invitation email (signed in or not). */
export function invitationLinkRoutes({ db }) {
  const router = express.Router();
  router.get('/invitations/:token', async (req, res) => {
    const invitation = await db.selectFrom('invitations')
      .innerJoin('teams', 'teams.id', 'invitations.team_id')
      .leftJoin('users', 'users.id', 'invitations.invited_by_id')
      .select(['invitations.id', 'invitations.email', 'invitations.role', 'invitations.token', 'invitations.accepted_at',
        'invitations.expires_at', 'teams.name as team_name', 'users.name as inviter_name'])
      .where('invitations.token', '=', req.params.token)
      .executeTakeFirst();
    if (!invitation) return notFound(req, res);
    sendPage(req, res, { title: `Join ${invitation.team_name}`, body: invitationPage({ invitation, user: req.user }) });
  });
  return router;
}

export function teamsOf(db, userId) {
  return db.selectFrom('memberships')
    .innerJoin('teams', 'teams.id', 'memberships.team_id')
    .leftJoin('subscriptions', 'subscriptions.team_id', 'teams.id')
    .select(['teams.id', 'teams.name', 'teams.slug', 'teams.owner_id', 'teams.created_at', 'memberships.role',
      'subscriptions.plan', 'subscriptions.status', 'subscriptions.amount_cents', 'subscriptions.currency', 'subscriptions.interval'])
    .select((eb) => eb.selectFrom('memberships as mc').select(eb.fn.countAll().as('n')).whereRef('mc.team_id', '=', 'teams.id').as('member_count'))
    .where('memberships.user_id', '=', userId)
    .orderBy('teams.name')
    .orderBy('teams.id')
    .execute();
}

function teamForMember(db, slug, userId) {
  return db.selectFrom('teams')
    .innerJoin('memberships', (join) => join.onRef('memberships.team_id', '=', 'teams.id').on('memberships.user_id', '=', userId))
    .leftJoin('subscriptions', 'subscriptions.team_id', 'teams.id')
    .select(['teams.id', 'teams.name', 'teams.slug', 'memberships.role as my_role', 'subscriptions.plan', 'subscriptions.status'])
    .where('teams.slug', '=', slug)
    .executeTakeFirst();
}

function notFound(req, res) {
  sendPage(req, res, { status: 404, title: 'Not found', body: errorPage({ status: 404, title: 'Not found', message: 'There is nothing here, or you do not have access to it.' }) });
}
