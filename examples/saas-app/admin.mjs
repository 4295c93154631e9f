// The operator console, mounted the way DESIGN §1 and the README show it.
import { createAdmin } from 'express-backstage';

export function createBackstage({ db, mailQueue }) {
  return createAdmin({
    db,
    getUser: (req) => req.user ?? null,
    roles: ['admin', 'superuser'],
    superuserRoles: ['superuser'],
    loginPath: '/login',
    queues: mailQueue ? [mailQueue] : [],
    impersonation: {
      signIn: (req, user) => {
        req.session.userId = user.id;
      },
    },
  });
}
