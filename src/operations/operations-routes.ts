/** Operational endpoints: liveness, readiness, Prometheus metrics, the contract and its docs pages. */
import YAML from 'yaml';
import type { HttpResult, OperationHandlers } from '../http/http-types.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { docsBar, docsLanguage } from './docs/docs-layout.ts';
import type { DocsLanguage } from './docs/docs-layout.ts';
import { errorCatalogue, renderErrorCatalogue } from './docs/error-catalogue.ts';
import { renderGettingStarted } from './docs/getting-started.ts';

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

/** Swagger UI (served from this origin, no external requests) under the docs bar. */
function apiReferencePage(lang: DocsLanguage): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${lang === 'zh-CN' ? '接口参考' : 'API reference'} · Licence Vault</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css"><link rel="stylesheet" href="/docs/static/docs.css"></head>
<body class="docs-reference">${docsBar('/docs', lang)}
<div id="swagger-ui" lang="en"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/static/init.js"></script></body></html>`;
}

export function operationsRoutes(opts: { metrics: Metrics; checks: Record<string, Dependency>; openApiText: string; logger: Logger; warnings?: string[] }): OperationHandlers {
  // Read once: a malformed catalogue stops start-up rather than a reader's request.
  const errorCodes = errorCatalogue(YAML.parse(opts.openApiText) as Record<string, unknown>);
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
    async getApiDocs(ctx) {
      const lang = docsLanguage(ctx.query.lang, ctx.headers['accept-language']);
      return docsAnswer(apiReferencePage(lang), lang);
    },
    async getGettingStarted(ctx) {
      const lang = docsLanguage(ctx.query.lang, ctx.headers['accept-language']);
      return docsAnswer(renderGettingStarted(lang), lang);
    },
    async getErrorCodes(ctx) {
      const lang = docsLanguage(ctx.query.lang, ctx.headers['accept-language']);
      return docsAnswer(renderErrorCatalogue(errorCodes, lang), lang);
    },
  };
}

/** A docs page: its language follows ?lang= or Accept-Language, so caches keep one copy per language. */
function docsAnswer(html: string, lang: DocsLanguage): HttpResult {
  return { status: 200, body: html, contentType: 'text/html; charset=utf-8', headers: { Vary: 'Accept-Language', 'Content-Language': lang } };
}

class CheckTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CheckTimeout(`no answer within ${ms} ms`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}
