import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
    statusChanges: new Counter({
      name: 'licence_status_changes_total',
      help: 'Licence status changes by action',
      labelNames: ['action'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
