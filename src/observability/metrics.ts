import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance, so tests can run several apps in one process without clashes. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by OpenAPI operation',
      labelNames: ['operation', 'method', 'status'] as const,
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    licencesIssued: new Counter({
      name: 'licences_issued_total',
      help: 'E-licences issued (new versions included)',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    anchoringCycles: new Counter({
      name: 'anchoring_cycles_total',
      help: 'Anchorer cycles by outcome (ok, failed, standby = another replica holds the lock)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    checkpointsAnchored: new Counter({
      name: 'checkpoints_anchored_total',
      help: 'Checkpoints anchored on the ledger (including ones covered by a later anchor)',
      registers: [registry],
    }),
    statusChanges: new Counter({
      name: 'licence_status_changes_total',
      help: 'Licence status changes by action',
      labelNames: ['action'] as const,
      registers: [registry],
    }),
  };
}

/** Gauges read from the database at scrape time, so every replica reports the same truth. */
export function registerAnchoringGauges(metrics: Metrics, read: () => Promise<{ lagLeaves: number; pendingStatusWrites: number; secondsSinceLastAnchor: number | null; openAlarms: number }>): void {
  let last: Promise<Awaited<ReturnType<typeof read>>> | null = null;
  const snapshot = () => (last ??= read().finally(() => setTimeout(() => (last = null), 0)));
  new Gauge({
    name: 'anchoring_lag_leaves',
    help: 'Log leaves not yet covered by an anchored checkpoint',
    registers: [metrics.registry],
    async collect() { this.set((await snapshot()).lagLeaves); },
  });
  new Gauge({
    name: 'ledger_status_writes_pending',
    help: 'Licence status changes waiting in the ledger outbox',
    registers: [metrics.registry],
    async collect() { this.set((await snapshot()).pendingStatusWrites); },
  });
  new Gauge({
    name: 'anchoring_alarms_open',
    help: 'Open anchoring alarms: the ledger holds a tree for one of this vault\'s log origins that this log cannot prove it extends (fork), or is behind or ahead of it (rollback)',
    registers: [metrics.registry],
    async collect() { this.set((await snapshot()).openAlarms); },
  });
  new Gauge({
    name: 'anchoring_seconds_since_last_anchor',
    help: 'Seconds since the newest anchored checkpoint was anchored (-1: none yet)',
    registers: [metrics.registry],
    async collect() { this.set((await snapshot()).secondsSinceLastAnchor ?? -1); },
  });
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Correction requests past the issuing department's own deadline, per department (read at scrape time). */
export function registerCorrectionGauges(metrics: Metrics, overdueByIssuer: () => Promise<Record<string, number>>): void {
  new Gauge({
    name: 'corrections_overdue',
    help: 'Pending correction requests past the deadline their issuing department set',
    labelNames: ['issuer'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const [issuer, count] of Object.entries(await overdueByIssuer())) this.set({ issuer }, count);
    },
  });
}
