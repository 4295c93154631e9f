export { createAdmin, type Admin } from './create-admin';
export type { AdminOptions, ModelsOptions, TableModelConfig, ImpersonationOptions } from './options';
export type { UsersModelConfig } from './models/users-model-config';
export type { UsersAdapter, BackstageUser, UserListQuery, WriteContext } from './models/users-adapter';
export type { DateStorage } from './db/dates';
export type { Page, SortKey } from './pagination/keyset';
export { AUDIT_TABLE, type AuditEvent } from './audit/audit-log';
