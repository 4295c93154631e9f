/** The queue adapter layer: everything queue pages use, and nothing else. */
export {
  BaseQueueAdapter,
  JOB_STATES,
  QUEUE_LIMITS,
  SEARCH_ORDER,
  type BatchOptions,
  type BatchProgress,
  type BulkResult,
  REMOVABLE_STATES,
  type RemovableState,
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
  type PageOptions,
  type QueueAction,
  type QueueAdapter,
  type RetryAllResult,
} from './queue-adapter';
export { QueueAdapterError, type QueueErrorCode } from './queue-error';
export { BullQueueAdapter, type BullJobLike, type BullQueueLike } from './bull-queue-adapter';
export { BullMQQueueAdapter, type BullMQJobLike, type BullMQQueueLike } from './bullmq-queue-adapter';
export type { RedisCommandsLike, RedisQueueAdapterOptions } from './redis-queue-adapter';
export { DEFAULT_REDIS_TIMEOUT_MS } from './redis-guard';
export {
  toQueueAdapter,
  toQueueAdapters,
  type PartialQueueAdapter,
  type QueueInput,
  type ToQueueAdapterOptions,
} from './to-queue-adapter';
export { REDACTED, isSecretKey, redactSecrets } from './redact';
