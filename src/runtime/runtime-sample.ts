import type { DatabaseFigures, FigureTable } from './database-figures';
import { dialectName } from './database-figures';
import { bytes, count, duration, ms, percent } from './format';
import type { OsFigures, ProcessFigures } from './process-probe';
import type { RedisFigures } from './redis-figures';

export interface FactSection {
  id: 'process' | 'eventLoop' | 'os' | 'database' | 'redis';
  title: string;
  facts: Array<[string, string]>;
  /** Shown instead of the facts when the section could not be read. */
  error?: string | null;
}

/**
 * One sample of one instance, as the runtime page shows it and as the live
 * event carries it: formatted facts per section, small tables, and the few
 * numbers the charts plot. Built from figures that hold no secret: no
 * environment, no command line, no connection string.
 */
export interface RuntimeSample {
  instance: string;
  at: number;
  sections: FactSection[];
  tables: Record<string, FigureTable | null>;
  series: {
    cpuPercent: number;
    heapUsedMiB: number;
    rssMiB: number;
    eventLoopP99Ms: number | null;
    eventLoopUtilizationPercent: number;
    redisOpsPerSec: number | null;
  };
}

export function buildSample(instance: string, at: number, proc: ProcessFigures, host: OsFigures, database: DatabaseFigures | null, redis: RedisFigures | null): RuntimeSample {
  const loop = proc.eventLoopDelay;
  const sections: FactSection[] = [
    {
      id: 'process',
      title: 'Node.js process',
      facts: [
        ['PID', String(proc.pid)],
        ['Uptime', duration(proc.uptimeS)],
        ['Node.js', `${proc.versions.node} (V8 ${proc.versions.v8}, libuv ${proc.versions.uv})`],
        ['Platform', `${proc.platform} ${proc.arch}`],
        ['CPU', `${proc.cpuPercent.toFixed(1)}% of one core`],
        ['Resident memory (RSS)', bytes(proc.rssBytes)],
        ['Heap used / total', `${bytes(proc.heapUsedBytes)} / ${bytes(proc.heapTotalBytes)}`],
        ['External memory', bytes(proc.externalBytes)],
        ['Active handles', count(proc.activeResources.total)],
      ],
    },
    {
      id: 'eventLoop',
      title: 'Event loop and GC',
      facts: [
        ['Delay p50', loop ? ms(loop.p50Ms) : 'measuring…'],
        ['Delay p99', loop ? ms(loop.p99Ms) : 'measuring…'],
        ['Delay max', loop ? ms(loop.maxMs) : 'measuring…'],
        ['Utilisation', percent(proc.eventLoopUtilization)],
        ['GC pauses', proc.gc ? `${count(proc.gc.count)} (${ms(proc.gc.totalMs)} in all, longest ${ms(proc.gc.maxMs)})` : 'measuring…'],
      ],
    },
    {
      id: 'os',
      title: 'Host',
      facts: [
        ['Hostname', host.hostname],
        ['System', `${host.platform} ${host.release}`],
        ['Load (1, 5, 15 min)', host.loadavg.map((n) => n.toFixed(2)).join(', ')],
        ['Memory used', `${bytes(host.totalMemBytes - host.freeMemBytes)} of ${bytes(host.totalMemBytes)}`],
        ['CPUs', `${host.cpus}${host.cpuModel ? ` × ${host.cpuModel}` : ''}`],
        ['Host uptime', duration(host.uptimeS)],
      ],
    },
  ];
  if (database) {
    sections.push({
      id: 'database',
      title: 'Database',
      facts: [['Dialect', dialectName(database.dialect)], ['Server', database.serverVersion ?? '—'], ...database.facts],
      error: database.error,
    });
  }
  if (redis) sections.push({ id: 'redis', title: 'Redis', facts: [['Connection', redis.source], ...redis.facts], error: redis.error });
  return {
    instance,
    at,
    sections,
    tables: {
      resources: { columns: ['Handle type', 'Count'], rows: proc.activeResources.byType.slice(0, 8).map(([type, n]) => [type, count(n)]) },
      'db-connections': database?.connections ?? null,
      'db-queries': database?.longestQueries ?? null,
      'db-tables': database?.largestTables ?? null,
    },
    series: {
      cpuPercent: round(proc.cpuPercent),
      heapUsedMiB: round(proc.heapUsedBytes / 1048576),
      rssMiB: round(proc.rssBytes / 1048576),
      eventLoopP99Ms: loop ? round(loop.p99Ms) : null,
      eventLoopUtilizationPercent: round(proc.eventLoopUtilization * 100),
      redisOpsPerSec: redis?.opsPerSec ?? null,
    },
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
