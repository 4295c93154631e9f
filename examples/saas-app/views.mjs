// Tasklane's HTML: a tagged template that escapes every value, and one function per page.
// No scripts at all; every form posts to the server.

class SafeHtml {
  constructor(value) {
    this.value = value;
  }
  toString() {
    return this.value;
  }
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

function render(value) {
  if (value == null || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(value);
}

/** `html\`<p>${text}</p>\`` escapes `text`; nested html`` fragments and arrays of them pass through. */
export function html(strings, ...values) {
  return new SafeHtml(strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]) : ''), ''));
}

const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' });

/** Dates arrive as Date (PostgreSQL, MySQL) or ISO text (SQLite). */
function date(value) {
  if (value == null) return '';
  const d = new Date(value);
  return html`<time datetime="${d.toISOString()}">${dateFormat.format(d)}</time>`;
}

const label = (value) => html`<span class="tag tag-${value}">${String(value).replace('_', ' ')}</span>`;

export function layout({ title, user = null, flash = null, consoleUrl = null, body }) {
  return html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} · Tasklane</title>
  <link rel="stylesheet" href="/assets/app.css">
</head>
<body>
  <header class="topbar">
    <a class="brand" href="${user ? '/app' : '/'}">Tasklane</a>
    <nav>
      ${user
        ? html`<a href="/app">My teams</a>
          ${consoleUrl ? html`<a href="${consoleUrl}">Operator console</a>` : ''}
          <span class="whoami">${user.name}</span>
          <form method="post" action="/logout" class="inline"><button class="link">Sign out</button></form>`
        : html`<a href="/login">Sign in</a> <a class="button small" href="/signup">Start free trial</a>`}
    </nav>
  </header>
  <main>
    ${flash ? html`<p class="flash flash-${flash.kind}" role="status">${flash.message}</p>` : ''}
    ${body}
  </main>
  <footer>Tasklane is a demo host app for express-backstage.</footer>
</body>
</html>`;
}

export function homePage() {
  return html`<section class="hero">
    <h1>Plan, ship and review work with your team.</h1>
    <p>Tasklane keeps projects, people and deadlines in one place. Free for 14 days.</p>
    <p><a class="button" href="/signup">Create an account</a> <a href="/login">or sign in</a></p>
  </section>`;
}

export function loginPage({ error = null, email = '', next = '' } = {}) {
  return html`<section class="card narrow">
    <h1>Sign in</h1>
    ${error ? html`<p class="error">${error}</p>` : ''}
    <form method="post" action="/login">
      <input type="hidden" name="next" value="${next}">
      <label>Email <input type="email" name="email" value="${email}" required autofocus autocomplete="username"></label>
      <label>Password <input type="password" name="password" required autocomplete="current-password"></label>
      <button>Sign in</button>
    </form>
    <p class="muted">No account yet? <a href="/signup${next ? `?next=${encodeURIComponent(next)}` : ''}">Sign up</a></p>
  </section>`;
}

export function signupPage({ error = null, name = '', email = '', next = '' } = {}) {
  return html`<section class="card narrow">
    <h1>Create your account</h1>
    ${error ? html`<p class="error">${error}</p>` : ''}
    <form method="post" action="/signup">
      <input type="hidden" name="next" value="${next}">
      <label>Full name <input name="name" value="${name}" required maxlength="120" autocomplete="name"></label>
      <label>Work email <input type="email" name="email" value="${email}" required autocomplete="email"></label>
      <label>Password <input type="password" name="password" required minlength="8" autocomplete="new-password">
        <small>At least 8 characters.</small></label>
      <button>Sign up</button>
    </form>
    <p class="muted">Already have an account? <a href="/login">Sign in</a></p>
  </section>`;
}

export function myTeamsPage({ teams, invitations }) {
  return html`
    ${invitations.length
      ? html`<section class="card">
        <h2>Invitations for you</h2>
        <ul class="rows">${invitations.map((i) => html`<li>
          <span><strong>${i.team_name}</strong> invited you as ${i.role} · expires ${date(i.expires_at)}</span>
          <form method="post" action="/app/invitations/${i.id}/accept" class="inline"><button class="small">Accept</button></form>
        </li>`)}</ul>
      </section>`
      : ''}
    <section class="card">
      <div class="card-head">
        <h1>My teams</h1>
        ${teams.length ? html`<a class="button small secondary" href="/app/reports/export">Export usage (CSV)</a>` : ''}
      </div>
      ${teams.length
        ? html`<table>
          <thead><tr><th>Team</th><th>Your role</th><th>Members</th><th>Plan</th><th>Since</th></tr></thead>
          <tbody>${teams.map((t) => html`<tr>
            <td><a href="/app/teams/${t.slug}">${t.name}</a></td>
            <td>${label(t.role)}</td>
            <td>${Number(t.member_count)}</td>
            <td>${t.plan ? html`${t.plan} ${label(t.status)}` : html`<span class="muted">free</span>`}</td>
            <td>${date(t.created_at)}</td>
          </tr>`)}</tbody>
        </table>`
        : html`<p class="muted">You are not in a team yet. Create one, or ask a colleague to invite you.</p>`}
    </section>
    <section class="card">
      <h2>Create a team</h2>
      <form method="post" action="/app/teams" class="row">
        <input name="name" placeholder="Company or team name" required minlength="2" maxlength="80">
        <button>Create team</button>
      </form>
    </section>`;
}

export function teamPage({ team, members, invitations, myRole, mailEnabled }) {
  const canInvite = myRole === 'owner' || myRole === 'admin';
  return html`
    <p class="crumbs"><a href="/app">My teams</a> / ${team.name}</p>
    <section class="card">
      <div class="card-head">
        <h1>${team.name}</h1>
        ${team.plan ? html`<span>${team.plan} plan ${label(team.status)}</span>` : html`<span class="muted">Free plan</span>`}
      </div>
      <h2>Members (${members.length})</h2>
      <table>
        <thead><tr><th>Name</th><th>Email</th><th>Role</th><th>Joined</th></tr></thead>
        <tbody>${members.map((m) => html`<tr>
          <td>${m.name}</td><td>${m.email}</td><td>${label(m.role)}</td><td>${date(m.created_at)}</td>
        </tr>`)}</tbody>
      </table>
    </section>
    <section class="card">
      <h2>Pending invitations (${invitations.length})</h2>
      ${invitations.length
        ? html`<table>
          <thead><tr><th>Email</th><th>Role</th><th>Invited by</th><th>Sent</th><th>Expires</th></tr></thead>
          <tbody>${invitations.map((i) => html`<tr>
            <td>${i.email}</td><td>${label(i.role)}</td><td>${i.inviter_name ?? '—'}</td><td>${date(i.created_at)}</td><td>${date(i.expires_at)}</td>
          </tr>`)}</tbody>
        </table>`
        : html`<p class="muted">No pending invitations.</p>`}
      ${canInvite
        ? html`<h3>Invite a member</h3>
          ${mailEnabled ? '' : html`<p class="notice">Mail is not being sent: Redis is not reachable, so invitations are saved but nobody is emailed.</p>`}
          <form method="post" action="/app/teams/${team.slug}/invitations" class="row">
            <input type="email" name="email" placeholder="colleague@company.com" required>
            <select name="role"><option value="member">Member</option><option value="admin">Admin</option></select>
            <button>Send invitation</button>
          </form>`
        : html`<p class="muted">Only owners and admins can invite people.</p>`}
    </section>`;
}

export function invitationPage({ invitation, user }) {
  const expired = new Date(invitation.expires_at) <= new Date();
  const next = encodeURIComponent(`/invitations/${invitation.token}`);
  let action;
  if (invitation.accepted_at) action = html`<p>This invitation has already been accepted.</p>`;
  else if (expired) action = html`<p class="error">This invitation expired on ${date(invitation.expires_at)}. Ask ${invitation.inviter_name ?? 'the team'} for a new one.</p>`;
  else if (!user) action = html`<p><a class="button" href="/signup?next=${next}">Create an account</a> or <a href="/login?next=${next}">sign in</a> as ${invitation.email} to join.</p>`;
  else if (user.email !== invitation.email) action = html`<p class="error">You are signed in as ${user.email}, but this invitation is for ${invitation.email}.</p>`;
  else action = html`<form method="post" action="/app/invitations/${invitation.id}/accept"><button>Join ${invitation.team_name}</button></form>`;
  return html`<section class="card narrow">
    <h1>Join ${invitation.team_name}</h1>
    <p>${invitation.inviter_name ?? 'Someone'} invited ${invitation.email} to join as ${invitation.role}.</p>
    ${action}
  </section>`;
}

export function errorPage({ status, title, message }) {
  return html`<section class="card narrow">
    <h1>${title}</h1>
    <p>${message}</p>
    <p class="muted">Error ${status}. <a href="/app">Back to my teams</a></p>
  </section>`;
}

/**
 * Sends a full page: the layout with the signed-in user, the one-time flash message,
 * and a link to the operator console for the roles it lets in (`app.locals.console`).
 */
export function sendPage(req, res, { title, body, status = 200 }) {
  const flash = req.session?.flash ?? null;
  if (flash) delete req.session.flash;
  const operatorConsole = req.app.locals.console;
  const consoleUrl = req.user && operatorConsole?.roles.includes(req.user.role) ? operatorConsole.url : null;
  res.status(status).type('html').send(layout({ title, user: req.user, flash, consoleUrl, body }).toString());
}
