import os from 'node:os';
import { monitorEventLoopDelay, performance, PerformanceObserver, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';

export interface ProcessFigures {
  pid: number;
  uptimeS: number;
  versions: { node: string; v8: string; uv: string };
  platform: string;
  arch: string;
  /** CPU time over wall time since the last sample, in % of one core (may exceed 100 with worker threads). */
  cpuPercent: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  /** Null until the probe has watched the loop for one interval. */
  eventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number } | null;
  /** Share of the interval the event loop was busy (0–1). */
  eventLoopUtilization: number;
  /** Garbage collections since the last sample; null until the probe has watched for one interval. */
  gc: { count: number; totalMs: number; maxMs: number } | null;
  /** Handles and requests keeping the loop alive (sockets, timers…), by type. */
  activeResources: { total: number; byType: Array<[string, number]> };
}

/** How often the event-loop histogram samples. Its values are the time between two samples, so this is subtracted. */
const RESOLUTION_MS = 10;

export interface OsFigures {
  hostname: string;
  platform: string;
  release: string;
  loadavg: [number, number, number];
  totalMemBytes: number;
  freeMemBytes: number;
  cpus: number;
  cpuModel: string;
  uptimeS: number;
}

/**
 * Watches this process between two samples: CPU time, event-loop delay
 * (a histogram sampling every 10 ms), event-loop utilisation and GC pauses.
 * Costs nothing until started; `stop()` removes the histogram and the observer.
 */
export class ProcessProbe {
  private histogram: IntervalHistogram | null = null;
  private observer: PerformanceObserver | null = null;
  private gc = { count: 0, totalMs: 0, maxMs: 0 };
  private lastCpu = process.cpuUsage();
  private lastTime = performance.now();
  private lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  private watching = false;

  get running(): boolean {
    return this.watching;
  }

  start(): void {
    if (this.watching) return;
    this.watching = true;
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
    this.gc = { count: 0, totalMs: 0, maxMs: 0 };
    try {
      this.observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          this.gc.count++;
          this.gc.totalMs += entry.duration;
          this.gc.maxMs = Math.max(this.gc.maxMs, entry.duration);
        }
      });
      this.observer.observe({ entryTypes: ['gc'] });
    } catch {
      this.observer = null;
    }
    this.lastCpu = process.cpuUsage();
    this.lastTime = performance.now();
    this.lastElu = performance.eventLoopUtilization();
  }

  stop(): void {
    this.watching = false;
    this.histogram?.disable();
    this.histogram = null;
    this.observer?.disconnect();
    this.observer = null;
  }

  /** Figures since the previous sample (since start for the first); resets the interval. */
  sample(): ProcessFigures {
    const now = performance.now();
    // Not watching (a page rendered before anyone streams): averages since the process started.
    const cpu = this.watching ? process.cpuUsage(this.lastCpu) : process.cpuUsage();
    const wallMs = Math.max(1, this.watching ? now - this.lastTime : process.uptime() * 1000);
    const elu = this.watching ? performance.eventLoopUtilization(this.lastElu) : performance.eventLoopUtilization();
    const memory = process.memoryUsage();
    const histogram = this.histogram;
    const figures: ProcessFigures = {
      pid: process.pid,
      uptimeS: process.uptime(),
      versions: { node: process.versions.node, v8: process.versions.v8, uv: process.versions.uv ?? '' },
      platform: process.platform,
      arch: process.arch,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
      eventLoopDelay:
        histogram && histogram.count > 0
          ? { p50Ms: lag(histogram.percentile(50)), p99Ms: lag(histogram.percentile(99)), maxMs: lag(histogram.max) }
          : null,
      eventLoopUtilization: elu.utilization,
      gc: this.watching && this.observer ? { ...this.gc } : null,
      activeResources: activeResources(),
    };
    if (this.watching) {
      this.lastCpu = process.cpuUsage();
      this.lastTime = now;
      this.lastElu = performance.eventLoopUtilization();
      histogram?.reset();
      this.gc = { count: 0, totalMs: 0, maxMs: 0 };
    }
    return figures;
  }
}

/** A histogram value (nanoseconds between two timer ticks) as the delay beyond the tick, in milliseconds. */
function lag(nanoseconds: number): number {
  return Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS);
}

function activeResources(): ProcessFigures['activeResources'] {
  const info = typeof process.getActiveResourcesInfo === 'function' ? process.getActiveResourcesInfo() : [];
  const byType = new Map<string, number>();
  for (const type of info) byType.set(type, (byType.get(type) ?? 0) + 1);
  return { total: info.length, byType: [...byType].sort((a, b) => b[1] - a[1]) };
}

export function osFigures(): OsFigures {
  const cpus = os.cpus();
  const [one, five, fifteen] = os.loadavg();
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    release: os.release(),
    loadavg: [one, five, fifteen],
    totalMemBytes: os.totalmem(),
    freeMemBytes: os.freemem(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? '',
    uptimeS: os.uptime(),
  };
}
