/**
 * Why a queue operation failed, in terms a page can turn into a status code:
 *
 * | code                | meaning                                             | page answers |
 * |---------------------|-----------------------------------------------------|--------------|
 * | `REDIS_UNAVAILABLE` | Redis is down, unreachable or did not answer in time | 503          |
 * | `JOB_NOT_FOUND`     | no job with that id in this queue                   | 404          |
 * | `INVALID_STATE`     | the job is not in a state that allows the action    | 409          |
 * | `INVALID_ARGUMENT`  | a bad state name, page size, data path…             | 400          |
 * | `NOT_SUPPORTED`     | this adapter does not implement the action          | 501          |
 * | `BACKEND_ERROR`     | the queue library failed for another reason         | 500          |
 */
export type QueueErrorCode =
  | 'REDIS_UNAVAILABLE'
  | 'JOB_NOT_FOUND'
  | 'INVALID_STATE'
  | 'INVALID_ARGUMENT'
  | 'NOT_SUPPORTED'
  | 'BACKEND_ERROR';

/**
 * The one error class every adapter method rejects with. Its message starts
 * with `express-backstage:`, names the queue and is written for an operator.
 *
 * @example
 * try { await adapter.retry(id); }
 * catch (err) { if (err instanceof QueueAdapterError && err.code === 'JOB_NOT_FOUND') res.status(404); }
 */
export class QueueAdapterError extends Error {
  readonly code: QueueErrorCode;
  /** The queue's name, when the error concerns one queue. */
  readonly queue: string | undefined;

  constructor(code: QueueErrorCode, message: string, options: { queue?: string; cause?: unknown } = {}) {
    super(message.startsWith('express-backstage:') ? message : `express-backstage: ${message}`, { cause: options.cause });
    this.name = 'QueueAdapterError';
    this.code = code;
    this.queue = options.queue;
  }
}
