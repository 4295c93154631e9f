export { createAdmin, type Admin } from './create-admin';
export { backstageConfig, type BackstageConfig } from './backstage-config';
export type { AdminOptions, ModelsOptions, TableModelConfig, ImpersonationOptions } from './options';
export type { UsersModelConfig } from './models/users-model-config';
export type { UsersAdapter, BackstageUser, UserListQuery, WriteContext } from './models/users-adapter';
export type { DateStorage } from './db/dates';
export type { Page, SortKey } from './pagination/keyset';
export { AUDIT_TABLE, type AuditEvent } from './audit/audit-log';
export {
  BaseQueueAdapter,
  BullMQQueueAdapter,
  BullQueueAdapter,
  JOB_STATES,
  QueueAdapterError,
  redactSecrets,
  type BatchOptions,
  type BatchProgress,
  type BulkResult,
  type BullJobLike,
  type BullMQJobLike,
  type BullMQQueueLike,
  type BullQueueLike,
  type CleanResult,
  type CleanableState,
  type FindJobsByLinksOptions,
  type FindJobsQuery,
  type FindJobsResult,
  type JobCounts,
  type JobId,
  type JobLogPage,
  type JobLogsOptions,
  type JobPage,
  type JobState,
  type JobTimestamps,
  type JobView,
  type JobViewState,
  type LatestFailure,
  type PageOptions as QueuePageOptions,
  type QueueAction,
  type QueueAdapter,
  type QueueErrorCode,
  type RedisQueueAdapterOptions,
  type RemovableState,
  type RetryAllResult,
} from './queues';
export type { JobLinkKind } from './options';
export type { ImpersonationStartEvent, ImpersonationEndEvent } from './impersonation/hooks';
export type { Finding as DoctorFinding } from './doctor/run-doctor';
