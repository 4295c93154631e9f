import express, { type Router } from 'express';
import type { Kysely } from 'kysely';
import type { ConsoleContext } from '../console-context';
import type { DialectName } from '../db/dialect';
import type { ResolvedOptions } from '../options';
import { DashboardFigures } from '../pages/home/dashboard-figures';
import { startDashboardFeeds } from '../pages/home/dashboard-feeds';
import type { HomeDependencies } from '../pages/home/routes';
import { runtimeRoutes } from '../pages/runtime/routes';
import { databaseFigures } from '../runtime/database-figures';
import { redisFigures, redisOfQueues } from '../runtime/redis-figures';
import { RuntimeSampler } from '../runtime/runtime-sampler';
import type { LiveBus } from './live-bus';
import { LiveHub } from './live-hub';
import { liveRoutes } from './live-routes';
import { checkHostEvent } from './live-topics';
import { MemoryLiveBus } from './memory-live-bus';
import { RedisLiveBus } from './redis-live-bus';

export interface ConsoleLive {
  /** Null when `live: false`. */
  hub: LiveHub | null;
  /** What the dashboard route needs. */
  home: HomeDependencies;
  /** `GET /live` and `GET /dev/runtime`. */
  routes(context: () => ConsoleContext): Router;
  /** `admin.publish`. */
  publish(topic: string, payload: unknown): Promise<void>;
  close(): Promise<void>;
}

/**
 * Everything that moves: the bus (in-process or Redis), the SSE hub, the
 * dashboard's pollers and the runtime sampler, wired once per console.
 * Nothing runs until a page watches; `close()` stops all of it.
 */
export function consoleLive(config: { options: ResolvedOptions; db: Kysely<any>; dialect: DialectName; context: () => ConsoleContext; log: (message: string, err?: unknown) => void }): ConsoleLive {
  const { options, log } = config;
  const live = options.live;
  let bus: LiveBus | null = null;
  if (live.enabled) {
    bus = live.connectRedis
      ? new RedisLiveBus({ connect: live.connectRedis, instanceId: live.instanceId, channelPrefix: live.channelPrefix, log })
      : new MemoryLiveBus(live.instanceId);
  }
  const hub = bus
    ? new LiveHub({ bus, heartbeatMs: live.heartbeatMs, maxBufferBytes: live.maxBufferBytes, maxClients: live.maxClients, maxStreamMs: live.maxStreamMs, log })
    : null;

  const figures = new DashboardFigures(config.context);
  if (hub) startDashboardFeeds(hub, figures, live.pollMs, log);

  const redisSource = bus instanceof RedisLiveBus ? 'live updates (options.live.redis)' : options.queues.length > 0 ? 'the first queue’s connection' : null;
  const sampler = new RuntimeSampler({
    hub,
    instanceId: live.instanceId,
    sampleMs: live.sampleMs,
    log,
    database: () => databaseFigures(config.db, config.dialect),
    redis: async () => {
      if (!redisSource) return null;
      const client = bus instanceof RedisLiveBus ? bus.commands : await redisOfQueues(options.queues);
      if (!client || typeof client.info !== 'function') return null;
      return redisFigures(client as { info(): Promise<string> }, redisSource);
    },
  });

  return {
    hub,
    home: { figures, hub, log },
    routes(context) {
      const router = express.Router();
      router.use(liveRoutes(() => hub));
      router.use(runtimeRoutes(context, { sampler, hub }));
      return router;
    },
    async publish(topic, payload) {
      // Checked even when live updates are off, so a mistake shows up in every configuration.
      if (!hub) checkHostEvent(topic, payload);
      else await hub.publishFromHost(topic, payload);
    },
    async close() {
      sampler.close();
      await hub?.close();
    },
  };
}
