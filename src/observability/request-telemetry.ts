/**
 * One log line and one latency observation per request, taken when the response has gone out (or the
 * client went away first). This replaces pino-http: pino-http builds two child loggers per request, each
 * serialising and redacting the request eagerly, whatever the log level, and that was about a quarter of
 * the CPU of the service's cheapest request (README, dependency notes). The line keeps pino-http's shape
 * (`req`, `res`, `responseTime`, "request completed" / "request errored") so log queries keep working.
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export interface RequestTelemetryOptions {
  logger: Logger;
  metrics: Metrics;
  /** The OpenAPI operation the request was routed to, once known. */
  operationOf: (res: ServerResponse) => string | undefined;
  /** Rewrites a URL before it is logged, to keep capabilities carried in paths (signed links) out of the log. */
  redactUrl?: (url: string) => string;
}

/** The id a request is logged under: the client's `X-Request-Id` when it is sane, else a new UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : crypto.randomUUID();
}

/**
 * A URL with the values of the named query parameters replaced (personal identifiers have no place in
 * request logs). Names are compared decoded, as the query parser sees them.
 */
export function redactQueryParameters(url: string, names: readonly string[]): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = new URLSearchParams(url.slice(q + 1));
  if (!names.some((name) => query.has(name))) return url;
  for (const name of names) if (query.has(name)) query.set(name, '[redacted]');
  return `${url.slice(0, q)}?${query.toString().replaceAll('%5Bredacted%5D', '[redacted]')}`;
}

/**
 * The path and query of a request target. A client may send the absolute form (`GET http://host/path`),
 * which node keeps as it came and express routes by its path: redaction must see that path.
 */
function originForm(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const url = new URL(target);
    return `${url.pathname}${url.search}`;
  } catch {
    return '[unparseable request target]';
  }
}

const REQUEST_ID = Symbol('requestId');

/** The id given to this request by the telemetry middleware (for other log lines about it). */
export function loggedRequestId(req: IncomingMessage): string | undefined {
  return (req as IncomingMessage & { [REQUEST_ID]?: string })[REQUEST_ID];
}

export function requestTelemetry(options: RequestTelemetryOptions): RequestHandler {
  const { logger, metrics, operationOf } = options;
  const redactUrl = options.redactUrl ?? ((url: string) => url);
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const id = requestIdOf(req);
    (req as IncomingMessage & { [REQUEST_ID]?: string })[REQUEST_ID] = id;
    res.setHeader('X-Request-Id', id);
    // 'close' follows 'finish' on every response, and comes alone when the client went away first.
    res.once('close', () => {
      const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
      const operation = operationOf(res);
      // A response that never finished was cut off by the client (or the socket): its status never reached anyone.
      const aborted = !res.writableFinished;
      metrics.httpDuration.observe({ operation: operation ?? 'none', method: req.method, status: aborted ? 'aborted' : String(res.statusCode) }, milliseconds / 1000);
      const level = aborted ? 'warn' : res.statusCode >= 500 ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const line = {
        req: { id, method: req.method, url: redactUrl(originForm(req.originalUrl ?? req.url ?? '')), remoteAddress: req.ip, userAgent: req.headers['user-agent'], actingFor: req.headers['x-acting-for'] },
        // An answer cut off before its headers went out had no status anyone saw.
        res: { statusCode: res.headersSent ? res.statusCode : null },
        responseTime: Math.round(milliseconds),
        operation,
      };
      logger[level](line, aborted ? 'request aborted' : level === 'error' ? 'request errored' : 'request completed');
    });
    next();
  };
}
