// GET /app/reports/export: a usage report as CSV, with a real-looking bug left in
// on purpose so the error-tracker demo has something to catch. The owners map is
// keyed by numeric id but looked up by string, so every row with a team throws
// "TypeError: Cannot read properties of undefined (reading 'name')" three frames
// below the route handler.
import express from 'express';
import { teamsOf } from './teams.mjs';

export function reportRoutes({ db }) {
  const router = express.Router();
  router.get('/reports/export', async (req, res) => {
    const csv = await exportUsageReport(db, req.user);
    res.type('text/csv').attachment('tasklane-usage.csv').send(csv);
  });
  return router;
}

async function exportUsageReport(db, user) {
  const teams = await teamsOf(db, user.id);
  const owners = await usersById(db, teams.map((team) => team.owner_id));
  const rows = teams.map((team) => usageRow(team, owners));
  return toCsv(['team', 'owner', 'plan', 'status', 'members', 'monthly_amount'], rows);
}

async function usersById(db, ids) {
  if (ids.length === 0) return new Map();
  const users = await db.selectFrom('users').select(['id', 'name', 'email']).where('id', 'in', ids).execute();
  return new Map(users.map((u) => [u.id, u]));
}

function usageRow(team, owners) {
  const owner = owners.get(String(team.owner_id)); // the bug: the map's keys are numbers
  return {
    team: team.name,
    owner: ownerLabel(owner),
    plan: team.plan ?? 'free',
    status: team.status ?? '',
    members: Number(team.member_count),
    monthly_amount: monthlyAmount(team),
  };
}

function ownerLabel(owner) {
  return `${owner.name} <${owner.email}>`;
}

function monthlyAmount(team) {
  if (!team.amount_cents) return '';
  const cents = team.interval === 'year' ? Math.round(team.amount_cents / 12) : team.amount_cents;
  return `${(cents / 100).toFixed(2)} ${String(team.currency).toUpperCase()}`;
}

function toCsv(columns, rows) {
  const cell = (value) => (/[",\n]/.test(String(value)) ? `"${String(value).replace(/"/g, '""')}"` : String(value));
  return [columns.join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))].join('\n') + '\n';
}
