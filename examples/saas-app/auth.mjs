// Who is signed in (req.user), and the sign-up / sign-in / sign-out routes.
import express from 'express';
import { insertReturningId, isUniqueViolation, toDbDate } from './db.mjs';
import { hashPassword, verifyPassword } from './passwords.mjs';
import { loginPage, sendPage, signupPage } from './views.mjs';

/** Loads `req.user` ({ id, email, name, role }) from `req.session.userId` on every request; banned users are signed out. */
export function loadUser(db) {
  return async function loadUserFromSession(req, res, next) {
    req.user = null;
    const id = req.session?.userId;
    if (id != null) {
      const user = await db
        .selectFrom('users')
        .select(['id', 'email', 'name', 'role', 'banned_at'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (user && !user.banned_at) req.user = { id: user.id, email: user.email, name: user.name, role: user.role };
    }
    next();
  };
}

export function requireUser(req, res, next) {
  if (req.user) return next();
  res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
}

export function authRoutes({ db, dialect, onSignup = null }) {
  const router = express.Router();

  router.get('/login', (req, res) => {
    if (req.user) return res.redirect(303, safeNext(req.query.next));
    sendPage(req, res, { title: 'Sign in', body: loginPage({ next: safeNext(req.query.next, '') }) });
  });

  router.post('/login', async (req, res) => {
    const email = normalizeEmail(req.body.email);
    const password = String(req.body.password ?? '');
    const next = safeNext(req.body.next, '');
    const user = await db
      .selectFrom('users')
      .select(['id', 'password_hash', 'banned_at'])
      .where('email', '=', email)
      .executeTakeFirst();
    const valid = user ? await verifyPassword(password, user.password_hash) : await hashPassword(password).then(() => false);
    if (!valid) {
      return sendPage(req, res, { status: 401, title: 'Sign in', body: loginPage({ error: 'Wrong email or password.', email, next }) });
    }
    if (user.banned_at) {
      return sendPage(req, res, {
        status: 403,
        title: 'Sign in',
        body: loginPage({ error: 'This account has been suspended. Contact support@tasklane.test if you think this is a mistake.', email, next }),
      });
    }
    await signIn(req, user.id);
    await db.updateTable('users').set({ last_sign_in_at: toDbDate(dialect) }).where('id', '=', user.id).execute();
    res.redirect(303, next || '/app');
  });

  router.get('/signup', (req, res) => {
    sendPage(req, res, { title: 'Sign up', body: signupPage({ next: safeNext(req.query.next, '') }) });
  });

  router.post('/signup', async (req, res) => {
    const name = String(req.body.name ?? '').trim().replace(/\s+/g, ' ');
    const email = normalizeEmail(req.body.email);
    const password = String(req.body.password ?? '');
    const next = safeNext(req.body.next, '');
    const again = (status, error) => sendPage(req, res, { status, title: 'Sign up', body: signupPage({ error, name, email, next }) });
    if (!name || name.length > 120) return again(400, 'Please enter your name.');
    if (!isEmail(email)) return again(400, 'Please enter a valid email address.');
    if (password.length < 8) return again(400, 'Your password needs at least 8 characters.');

    const now = toDbDate(dialect);
    let id;
    try {
      id = await insertReturningId(db, dialect, 'users', {
        email, name, role: 'user', password_hash: await hashPassword(password), created_at: now, last_sign_in_at: now,
      });
    } catch (error) {
      if (isUniqueViolation(error)) return again(409, 'An account with this email already exists. Sign in instead.');
      throw error;
    }
    await signIn(req, id);
    // Tell the operator console, so its dashboard's signups chart moves at once.
    onSignup?.({ id, at: new Date().toISOString() });
    req.session.flash = { kind: 'ok', message: `Welcome to Tasklane, ${name.split(' ')[0]}!` };
    res.redirect(303, next || '/app');
  });

  router.post('/logout', (req, res, next) => {
    req.session.destroy((error) => {
      if (error) return next(error);
      res.clearCookie('tasklane.sid');
      res.redirect(303, '/');
    });
  });

  return router;
}

// A fresh session id at sign-in, so a planted cookie is worth nothing.
function signIn(req, userId) {
  return new Promise((resolve, reject) => {
    req.session.regenerate((error) => {
      if (error) return reject(error);
      req.session.userId = userId;
      resolve();
    });
  });
}

export function normalizeEmail(value) {
  return String(value ?? '').trim().toLowerCase();
}

export function isEmail(value) {
  return value.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}

/** Only same-site paths: `/app/teams/acme`, never `//evil.test` or `https://…`. */
function safeNext(value, fallback = '/app') {
  const path = typeof value === 'string' ? value : '';
  return path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\') ? path : fallback;
}
