// Tasklane, the host app: sessions, sign-in, teams and invitations, with the
// express-backstage console mounted at /admin.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import session from 'express-session';
import { authRoutes, loadUser, requireUser } from './auth.mjs';
import { createMailer } from './mailer.mjs';
import { MAIL_JOB, openMailQueue } from './mail-queue.mjs';
import { reportRoutes } from './reports.mjs';
import { invitationLinkRoutes, teamRoutes } from './teams.mjs';
import { errorPage, homePage, sendPage } from './views.mjs';

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
const CONSOLE_ROLES = ['admin', 'superuser'];

/**
 * @param {object} options
 * @param {import('kysely').Kysely<any>} options.db
 * @param {'sqlite' | 'postgres' | 'mysql'} options.dialect
 * @param {string | null} [options.redisUrl] Redis for the `mail` queue; null or unreachable: no queue, no mail
 * @param {string} [options.sessionSecret]
 * @param {boolean} [options.backstage] mount the console (false only to try the host without it)
 * @param {boolean} [options.mailWorker] process `mail` jobs in this process
 * @param {string} [options.appUrl] the public URL, for links in emails
 * @returns {Promise<{ app: import('express').Express, mailQueue: import('bull').Queue | null, close(): Promise<void> }>}
 */
export async function createApp({
  db,
  dialect,
  redisUrl = 'redis://127.0.0.1:6379',
  sessionSecret = 'tasklane-demo-session-secret',
  backstage = true,
  mailWorker = true,
  appUrl = 'http://localhost:3000',
  log = console,
}) {
  const mailQueue = redisUrl ? await openMailQueue({ redisUrl, log }) : null;
  let admin = null;
  try {
    if (mailQueue && mailWorker) mailQueue.process(MAIL_JOB, 5, createMailer({ db, appUrl }));
    if (backstage) {
      // Imported only when mounted, so the host can be tried with BACKSTAGE_DISABLED=1 before dist/ is built.
      const { createBackstage } = await import('./admin.mjs');
      admin = createBackstage({ db, mailQueue, redisUrl: mailQueue ? redisUrl : null });
      await admin.migrate();
    }
  } catch (error) {
    await mailQueue?.close();
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && /express-backstage|[\\/]dist[\\/]/.test(error.message)) {
      throw new Error(
        'express-backstage is not built yet (no dist/): run `npm run build` first, as `npm run demo` does, ' +
          'or set BACKSTAGE_DISABLED=1 to try the host without the console.',
        { cause: error },
      );
    }
    throw error;
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.locals.console = admin ? { url: '/admin', roles: CONSOLE_ROLES } : null;

  app.use('/assets', express.static(PUBLIC_DIR, { maxAge: '1h' }));
  app.use(express.urlencoded({ extended: false, limit: '20kb' }));
  app.use(
    session({
      name: 'tasklane.sid',
      secret: sessionSecret,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: 14 * 24 * 60 * 60 * 1000 },
    }),
  );
  app.use(loadUser(db));
  if (admin) {
    app.use(admin.guard);
    app.use('/admin', admin);
  }

  app.get('/', (req, res) => {
    if (req.user) return res.redirect(303, '/app');
    sendPage(req, res, { title: 'Projects for busy teams', body: homePage() });
  });
  app.use(authRoutes({ db, dialect, onSignup: admin ? (signup) => void admin.publish('signups', signup) : null }));
  app.use(invitationLinkRoutes({ db }));
  app.use('/app', requireUser, teamRoutes({ db, dialect, mailQueue, log }), reportRoutes({ db }));

  app.use((req, res) => {
    sendPage(req, res, { status: 404, title: 'Not found', body: errorPage({ status: 404, title: 'Not found', message: 'There is nothing at this address.' }) });
  });
  // The console's error tracker records the error, then hands it to the handler below.
  if (admin) app.use(admin.errorHandler);
  app.use((error, req, res, next) => {
    log.error(`${req.method} ${req.originalUrl} failed:`, error);
    if (res.headersSent) return next(error);
    sendPage(req, res, {
      status: 500,
      title: 'Something went wrong',
      body: errorPage({ status: 500, title: 'Something went wrong', message: 'We could not finish that request. Our team has been notified.' }),
    });
  });

  return {
    app,
    mailQueue,
    async close() {
      await admin?.close?.();
      await mailQueue?.close();
    },
  };
}
