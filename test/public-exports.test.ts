import * as api from '../src';

it('the public exports stay what the README documents', () => {
  expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
[
  "AUDIT_TABLE",
  "BaseQueueAdapter",
  "BullMQQueueAdapter",
  "BullQueueAdapter",
  "JOB_STATES",
  "QueueAdapterError",
  "backstageConfig",
  "createAdmin",
  "redactSecrets",
]
`);
});
