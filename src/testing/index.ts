/**
 * `express-backstage/testing`: helpers for your app's own test suite, so the
 * console keeps working as your app changes. Needs supertest (a dev dependency
 * you likely have already).
 */
export { signedInAgent, type ConsoleAgent, type SignedInAgentOptions, type SupertestAgentLike } from './signed-in-agent';
export { readAuditLog, type AuditLogFilter } from './read-audit-log';
export type { AuditEvent } from '../audit/audit-log';
export { consoleMounted, consoleReady, createTestUser, removeTestUsers, consolePages, consoleSays, usersColumns, type TestUser, type CreateTestUserOptions } from './console-checks';
