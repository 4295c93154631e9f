// The operator console, mounted the way DESIGN §1 and the README show it.
import { createAdmin } from 'express-backstage';

export function createBackstage({ db, mailQueue, redisUrl = null }) {
  return createAdmin({
    db,
    getUser: (req) => req.user ?? null,
    roles: ['admin', 'superuser'],
    superuserRoles: ['superuser'],
    loginPath: '/login',
    queues: mailQueue ? [mailQueue] : [],
    // With Redis, every instance of the app sees every live event (signups, job counts).
    live: redisUrl ? { redis: redisUrl } : undefined,
    impersonation: {
      signIn: (req, user) => {
        req.session.userId = user.id;
      },
    },
  });
}
