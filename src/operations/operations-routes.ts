/** Operational endpoints: liveness, readiness, Prometheus metrics, the contract and its docs page. */
import type { OperationHandlers } from '../http/http-types.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

export type ReadinessCheck = () => Promise<{ kind?: string }>;

/** A failed check whose reason is safe to show on the public /readyz (no hosts, ports or user names). */
export class ReadinessProblem extends Error {
  constructor(readonly publicDetail: string) {
    super(publicDetail);
  }
}

/**
 * A dependency the replica cannot serve without (`required`), or one whose outage it rides out (the ledger:
 * anchoring and status writes queue in the database and drain when it returns). Only a required one
 * failing takes the replica out of rotation; an optional one makes it "degraded" but still ready, since a
 * shared outage would otherwise take every replica out at once.
 */
export interface Dependency {
  check: ReadinessCheck;
  required: boolean;
}

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Licence Vault API</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/static/init.js"></script></body></html>`;

export function operationsRoutes(opts: { metrics: Metrics; checks: Record<string, Dependency>; openApiText: string; logger: Logger; warnings?: string[] }): OperationHandlers {
  return {
    async getHealth() {
      return { status: 200, json: { status: 'ok' } };
    },
    async getReadiness() {
      const entries = await Promise.all(
        Object.entries(opts.checks).map(async ([name, { check, required }]) => {
          try {
            const info = await withTimeout(check(), 2000);
            return [name, { ok: true, required, ...info }] as const;
          } catch (error) {
            // /readyz is public: the driver's message (hosts, ports, user names) goes to the log only.
            opts.logger.warn({ dependency: name, err: error }, 'readiness check failed');
            const reason = error instanceof ReadinessProblem ? error.publicDetail : error instanceof CheckTimeout ? 'no answer in time' : 'unreachable';
            return [name, { ok: false, required, error: reason }] as const;
          }
        }),
      );
      const ready = entries.every(([, r]) => r.ok || !r.required);
      const status = !ready ? 'unavailable' : entries.every(([, r]) => r.ok) ? 'ready' : 'degraded';
      return { status: ready ? 200 : 503, json: { status, checks: Object.fromEntries(entries), ...(opts.warnings?.length ? { warnings: opts.warnings } : {}) } };
    },
    async getMetrics() {
      return { status: 200, body: await opts.metrics.registry.metrics(), contentType: opts.metrics.registry.contentType };
    },
    async getOpenApiDocument() {
      return { status: 200, body: opts.openApiText, contentType: 'application/yaml; charset=utf-8' };
    },
    async getApiDocs() {
      return { status: 200, body: DOCS_PAGE, contentType: 'text/html; charset=utf-8' };
    },
  };
}

class CheckTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CheckTimeout(`no answer within ${ms} ms`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}
