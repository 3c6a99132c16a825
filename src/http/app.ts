/**
 * The HTTP edge: express parses bodies and logs; openapi-backend, driven by openapi.yaml, routes and
 * validates every request; handlers return HttpResult values that this module writes. Errors leave as
 * RFC 9457 problem+json, never as stack traces.
 */
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { rateLimit } from 'express-rate-limit';
import { OpenAPIBackend } from 'openapi-backend';
import type { Context } from 'openapi-backend';
import addFormatsModule from 'ajv-formats';
import type { Principal } from '../auth/principal.ts';
import { isDatabaseUnavailableError } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { loggedRequestId, requestTelemetry } from '../observability/request-telemetry.ts';
import { loadOpenApiDocument, precompileRouting } from './openapi-document.ts';
import { ApiProblem, problems } from './problem.ts';
import type { FieldProblem } from './problem.ts';
import type { HttpResult, OperationHandlers, RequestContext } from './http-types.ts';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: unknown) => void;

export interface AppOptions {
  handlers: OperationHandlers;
  /** Verifies a bearer token; throws ApiProblem(401) for a bad one. */
  authenticate: (token: string) => Promise<Principal>;
  /** The principal of a person acting for a company (`X-Acting-For: <USCC>`); throws ApiProblem when not allowed. */
  actFor?: (principal: Principal, company: string, operationId: string) => Promise<Principal>;
  logger: Logger;
  metrics: Metrics;
  maxBodyBytes: number;
  /** Extra express routers mounted before the API (static assets of the docs page). */
  staticMounts?: Array<{ path: string; directory: string }>;
  /** Routes that accept larger JSON bodies than maxBodyBytes (e.g. a PDF to verify). */
  largeBodyRoutes?: Array<{ path: string; maxBytes: number }>;
  /** Per-client-address request limits on public routes. */
  rateLimits?: Array<{ path: string; windowMs: number; limit: number }>;
  /** Middleware mounted before the body parsers (multipart uploads). */
  uploadRoutes?: Array<{ path: string; handler: express.RequestHandler }>;
  /** Rewrites a URL before it is logged (signed links carry their capability in the path). */
  redactUrl?: (url: string) => string;
  /** Reverse-proxy hops to trust for the client address (rate limits, logs). */
  trustProxy?: number | null;
}

type Locals = { principal?: Principal | null; operationId?: string };

export async function createApp(options: AppOptions): Promise<express.Express> {
  const api = new OpenAPIBackend({
    definition: loadOpenApiDocument() as never,
    strict: true,
    // openapi-backend's own definition check knows only OpenAPI 3.0; the 3.1 document is validated
    // against the official 3.1 schema in the contract test instead (test/http/openapi-contract.test.ts).
    quick: true,
    coerceTypes: true,
    // Report every violation at once, so a client fixes its request in one round trip.
    ajvOpts: { allErrors: true },
    customizeAjv: (ajv) => {
      addFormats(ajv);
      return ajv;
    },
  });
  api.register({
    notFound: () => problemResult(new ApiProblem(404, 'ROUTE_NOT_FOUND', 'no such route')),
    methodNotAllowed: () => problemResult(new ApiProblem(405, 'METHOD_NOT_ALLOWED', 'this route does not accept that method')),
    validationFail: (c: Context) => problemResult(validationProblem(c)),
    unauthorizedHandler: (c: Context) => {
      const failure = (c.security?.bearer as { error?: unknown } | undefined)?.error;
      // A token that could not be checked is not a bad token: the client must retry, not re-authenticate.
      if (isDatabaseUnavailableError(failure)) return problemResult(databaseUnavailable());
      return problemResult(failure instanceof ApiProblem ? failure : new ApiProblem(401, 'AUTHENTICATION_REQUIRED', 'a bearer token is required', {}, { 'WWW-Authenticate': 'Bearer' }));
    },
    postRoutingHandler: (c: Context, req: Request) => {
      (req.res!.locals as Locals).operationId = c.operation?.operationId;
      if (c.operation) assertContentType(c, req);
    },
    postResponseHandler: (c: Context) => c.response as HttpResult,
  });
  api.registerSecurityHandler('bearer', async (c: Context, req: Request) => {
    const header = req.headers.authorization;
    if (!header) return false;
    const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
    if (!match) throw new ApiProblem(401, 'TOKEN_INVALID', 'Authorization must be "Bearer <token>"', {}, { 'WWW-Authenticate': 'Bearer error="invalid_request"' });
    let principal = await options.authenticate(match[1]!);
    const actingFor = req.headersDistinct['x-acting-for'];
    if (actingFor !== undefined) {
      if (!options.actFor || actingFor.length !== 1) throw new ApiProblem(400, 'ACTING_FOR_INVALID', 'X-Acting-For must be given once, with a company\'s unified social credit code');
      principal = await options.actFor(principal, actingFor[0]!, c.operation.operationId!);
    }
    (req.res!.locals as Locals).principal = principal;
    return principal;
  });
  for (const [operationId, handler] of Object.entries(options.handlers)) {
    api.register(operationId, async (c: Context, req: Request) => {
      const ctx: RequestContext = {
        operationId,
        principal: (req.res!.locals as Locals).principal ?? null,
        params: c.request.params as Record<string, string>,
        query: c.request.query as Record<string, unknown>,
        headers: req.headers,
        body: req.body,
      };
      try {
        return await handler(ctx);
      } catch (error) {
        if (!(error instanceof ApiProblem)) throw error;
        if (error.cause !== undefined) options.logger.warn({ err: error.cause, code: error.code, req: { id: loggedRequestId(req) } }, 'dependency failed');
        return problemResult(error);
      }
    });
  }
  await api.init();
  precompileRouting(api.router as never);
  assertEveryOperationHandled(api, options.handlers);

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (options.trustProxy) app.set('trust proxy', options.trustProxy);
  app.use(requestTelemetry({ logger: options.logger, metrics: options.metrics, operationOf: (res) => (res as Response).locals?.operationId as string | undefined, redactUrl: options.redactUrl }));
  app.use(helmet({ contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'img-src': ["'self'", 'data:'] } } }));
  for (const mount of options.staticMounts ?? []) app.use(mount.path, express.static(mount.directory, { index: false, fallthrough: false }));
  for (const limit of options.rateLimits ?? []) {
    app.use(limit.path, rateLimit({
      windowMs: limit.windowMs,
      limit: limit.limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (req, res) => writeResult(res, problemResult(new ApiProblem(429, 'RATE_LIMITED', `at most ${limit.limit} requests per ${limit.windowMs / 1000} s to ${limit.path}`)), req.path),
    }));
  }
  for (const route of options.largeBodyRoutes ?? []) app.use(route.path, express.json({ limit: route.maxBytes, type: ['application/json'] }));
  for (const route of options.uploadRoutes ?? []) app.use(route.path, route.handler);
  app.use(express.json({ limit: options.maxBodyBytes, type: ['application/json', 'application/*+json'] }));
  app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }));
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      const result = (await api.handleRequest(
        { method: req.method, path: req.path, query: req.query as Record<string, string>, body: req.body, headers: req.headers as Record<string, string> },
        req,
        res,
      )) as HttpResult;
      writeResult(res, result, req.path);
    } catch (error) {
      next(error);
    }
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = edgeProblem(error);
    if (problem.status >= 500) options.logger.error({ err: error, req: { id: loggedRequestId(req) } }, 'request failed');
    writeResult(res, problemResult(problem), req.path);
  });
  return app;
}

/** The contract and the code must name the same operations: a missing handler fails start-up, not a request. */
function assertEveryOperationHandled(api: OpenAPIBackend, handlers: OperationHandlers): void {
  const declared = api.getOperations().map((o) => o.operationId).filter((id): id is string => Boolean(id));
  const missing = declared.filter((id) => !handlers[id]);
  const undeclared = Object.keys(handlers).filter((id) => !declared.includes(id));
  if (missing.length || undeclared.length) {
    throw new Error(`openapi.yaml and the handlers disagree: no handler for [${missing.join(', ')}]; not in openapi.yaml: [${undeclared.join(', ')}]`);
  }
}

function problemResult(problem: ApiProblem): HttpResult {
  return { status: problem.status, json: problem.toBody(), contentType: 'application/problem+json', headers: problem.headers };
}

function writeResult(res: Response, result: HttpResult, path: string): void {
  if (res.headersSent) return;
  res.status(result.status);
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
  if (result.json !== undefined) {
    const json = result.contentType === 'application/problem+json' ? { ...(result.json as object), instance: path } : result.json;
    const text = JSON.stringify(json);
    res.setHeader('Content-Type', `${result.contentType ?? 'application/json'}; charset=utf-8`);
    // A GET's answer gets express's ETag and 304 handling; any other method's answer is not cacheable, so
    // it is written as is, without hashing the body for an ETag nobody can use.
    if (res.req.method === 'GET' || res.req.method === 'HEAD') {
      res.send(text);
    } else {
      res.setHeader('Content-Length', Buffer.byteLength(text));
      res.end(text);
    }
  } else if (result.body !== undefined) {
    res.type(result.contentType ?? 'application/octet-stream').send(typeof result.body === 'string' ? result.body : Buffer.from(result.body));
  } else {
    res.end();
  }
}

/** Maps body-parser and unexpected errors to problems without leaking internals. */
function edgeProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  if (isDatabaseUnavailableError(error)) return databaseUnavailable();
  const e = error as { type?: string; status?: number; message?: string };
  switch (e.type) {
    case 'entity.parse.failed':
      return new ApiProblem(400, 'MALFORMED_JSON', `the request body is not valid JSON: ${e.message ?? ''}`.trim());
    case 'entity.too.large':
      return new ApiProblem(413, 'BODY_TOO_LARGE', 'the request body is larger than this service accepts');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiProblem(415, 'UNSUPPORTED_ENCODING', 'the request body encoding or charset is not supported');
    case 'parameters.too.many':
      return new ApiProblem(413, 'TOO_MANY_PARAMETERS', 'too many form parameters');
    default:
      return new ApiProblem(500, 'INTERNAL_ERROR', 'the service failed to handle this request; it has been logged');
  }
}

/** The database is down or restarting: the same request will succeed later, so 503 with Retry-After, never 500. */
function databaseUnavailable(): ApiProblem {
  return problems.unavailable('DATABASE_UNAVAILABLE', 'the database is unavailable; retry later');
}

/** A body must arrive in one of the media types the operation declares (else 415), before validation. */
function assertContentType(c: Context, req: Request): void {
  const requestBody = c.operation.requestBody as { content?: Record<string, unknown> } | undefined;
  if (!requestBody?.content) return;
  const declared = Object.keys(requestBody.content);
  const given = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!given) throw new ApiProblem(415, 'CONTENT_TYPE_REQUIRED', `send the body as ${declared.join(' or ')}`);
  if (!declared.includes(given)) throw new ApiProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `content type ${given} is not accepted here; send ${declared.join(' or ')}`);
}

function validationProblem(c: Context): ApiProblem {
  const errors: FieldProblem[] = (c.validation?.errors ?? []).map((e) => {
    const raw = e.instancePath.replace(/^\/(requestBody|query|path|params|headers|header)/, '').replace(/^\//, '').replace(/\//g, '.');
    const location = /^\/(query|path|params|headers|header)/.exec(e.instancePath)?.[1];
    let field = raw;
    if (e.keyword === 'required') field = [raw, (e.params as { missingProperty: string }).missingProperty].filter(Boolean).join('.');
    if (e.keyword === 'additionalProperties') field = [raw, (e.params as { additionalProperty: string }).additionalProperty].filter(Boolean).join('.');
    const message = e.keyword === 'additionalProperties' ? 'is not an accepted property' : (e.message ?? 'is invalid');
    return { field: field || location || 'body', message };
  });
  const detail = errors.length > 0 ? errors.map((e) => `${e.field} ${e.message}`).join('; ') : 'the request does not match the API contract';
  return new ApiProblem(400, 'REQUEST_INVALID', detail, { errors });
}
