import express, { type Router } from 'express';
import type { ConsoleContext } from '../../console-context';
import { handle } from '../../http/handle';
import type { LiveHub } from '../../live/live-hub';
import type { RuntimeSampler } from '../../runtime/runtime-sampler';
import type { RuntimeSample } from '../../runtime/runtime-sample';

/** The runtime page's charts: one point per live sample, for the instance shown. */
function runtimeCharts(sample: RuntimeSample) {
  const time = new Date(sample.at).toISOString().slice(11, 19);
  const chart = (key: string, label: string, fields: Array<[string, string]>) => ({
    type: 'line',
    topic: 'runtime',
    key,
    label,
    labels: [time],
    append: { fields: fields.map(([field]) => field), window: 60 },
    datasets: fields.map(([field, name]) => ({ label: name, data: [(sample.series as Record<string, number | null>)[field] ?? null] })),
  });
  return [
    chart('cpu', 'CPU and event-loop utilisation, % (last 2 minutes)', [
      ['cpuPercent', 'CPU %'],
      ['eventLoopUtilizationPercent', 'Event loop busy %'],
    ]),
    chart('memory', 'Memory, MiB (last 2 minutes)', [
      ['rssMiB', 'RSS'],
      ['heapUsedMiB', 'Heap used'],
    ]),
    chart('loop', 'Event-loop delay p99, ms (last 2 minutes)', [['eventLoopP99Ms', 'p99 delay']]),
  ];
}

/** `/dev/runtime`: this instance's process, host, database and Redis, pushed live while the page is open. */
export function runtimeRoutes(context: () => ConsoleContext, deps: { sampler: RuntimeSampler; hub: LiveHub | null }): Router {
  const router = express.Router();
  router.get(
    '/dev/runtime',
    handle(async (req, res) => {
      const ctx = context();
      const sample = await deps.sampler.current();
      await ctx.renderer.page(
        req,
        res,
        'runtime/index',
        {
          sample,
          charts: runtimeCharts(sample),
          instances: deps.sampler.knownInstances(),
          distributed: deps.hub?.distributed ?? false,
          withCharts: true,
          withLive: deps.hub !== null,
        },
        { title: 'Runtime', section: 'runtime' },
      );
    }),
  );
  return router;
}
