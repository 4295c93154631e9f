// The `mail` queue's worker. It "sends" invitation emails: nothing leaves the machine,
// but the path (MX lookup, SMTP session, RCPT TO, DATA) and its failures look real:
// recipients at bounce.test are rejected with a 550, and a few sessions hit a
// transient 421 that the next attempt gets past.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

const REJECTING_DOMAINS = {
  'bounce.test': '550 5.1.1 Recipient address rejected: mailbox unavailable',
};
const TRANSIENT_FAILURE_RATE = 0.03;

/** The processor for `queue.process(MAIL_JOB, concurrency, processor)`. */
export function createMailer({ db, appUrl = 'http://localhost:3000' }) {
  return async function processMailJob(job) {
    if (job.data.type === 'send-invitation') return sendInvitationEmail(db, appUrl, job);
    throw new Error(`Unknown mail job type "${job.data.type}"`);
  };
}

async function sendInvitationEmail(db, appUrl, job) {
  const invitation = await db
    .selectFrom('invitations')
    .innerJoin('teams', 'teams.id', 'invitations.team_id')
    .leftJoin('users', 'users.id', 'invitations.invited_by_id')
    .select(['invitations.id', 'invitations.email', 'invitations.role', 'invitations.token', 'teams.name as team_name', 'users.name as inviter_name'])
    .where('invitations.id', '=', job.data.invitationId)
    .executeTakeFirst();
  if (!invitation) throw new Error(`Invitation ${job.data.invitationId} no longer exists`);

  const message = {
    from: 'Tasklane <no-reply@tasklane.test>',
    to: invitation.email,
    subject: `${invitation.inviter_name ?? 'Someone'} invited you to ${invitation.team_name} on Tasklane`,
    text: `Join ${invitation.team_name} as ${invitation.role}: ${appUrl}/invitations/${invitation.token}`,
  };
  await job.progress(10);
  const receipt = await deliver(message, job);
  await job.progress(100);
  return receipt;
}

async function deliver(message, job) {
  const domain = message.to.split('@').pop().toLowerCase();
  const mx = `mx1.${domain}`;
  await job.log(`MX ${domain} -> ${mx}`);
  const session = await openSession(mx);
  await job.log(`Connected to ${mx}:25 (${session.banner})`);
  await mailFrom(session, message.from);
  await rcptTo(session, message.to);
  await job.progress(60);
  const queuedAs = await data(session, message);
  await job.log(`250 2.0.0 Ok: queued as ${queuedAs}`);
  return { messageId: `<${queuedAs.toLowerCase()}@tasklane.test>`, accepted: [message.to], response: `250 2.0.0 Ok: queued as ${queuedAs}` };
}

async function openSession(host) {
  await sleep(20 + Math.random() * 120);
  if (Math.random() < TRANSIENT_FAILURE_RATE) {
    throw smtpError(`421 4.7.0 ${host} Service not available, closing transmission channel`, 421, 'CONN');
  }
  return { host, banner: `220 ${host} ESMTP Postfix` };
}

async function mailFrom(session, from) {
  await sleep(5 + Math.random() * 30);
  return `250 2.1.0 Ok (${from})`;
}

async function rcptTo(session, recipient) {
  await sleep(5 + Math.random() * 40);
  const domain = recipient.split('@').pop().toLowerCase();
  const rejection = REJECTING_DOMAINS[domain];
  if (rejection) throw smtpError(rejection, Number(rejection.slice(0, 3)), 'RCPT TO');
  return '250 2.1.5 Ok';
}

async function data(session, message) {
  await sleep(10 + Math.random() * 60);
  return randomBytes(5).toString('hex').toUpperCase();
}

// Shaped like nodemailer's errors, which is what a host would see in production.
function smtpError(message, responseCode, command) {
  const error = new Error(message);
  error.code = 'EENVELOPE';
  error.responseCode = responseCode;
  error.command = command;
  return error;
}
