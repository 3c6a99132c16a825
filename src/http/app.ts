/**
 * The HTTP edge: express parses bodies and logs; openapi-backend, driven by openapi.yaml, routes and
 * validates every request; handlers return HttpResult values that this module writes. Errors leave as
 * RFC 9457 problem+json, never as stack traces.
 */
import compression from 'compression';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { rateLimit } from 'express-rate-limit';
import { OpenAPIBackend } from 'openapi-backend';
import type { Operation } from 'openapi-backend';
import addFormatsModule from 'ajv-formats';
import type { Principal } from '../principals/principal.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { loggedRequestId, requestTelemetry } from '../observability/request-telemetry.ts';
import { loadOpenApiDocument, precompileRouting } from './openapi-document.ts';
import { createDispatcher } from './operation-dispatch.ts';
import { ApiProblem, knownProblem, OAUTH_TOKEN_OPERATION, oauthTokenError, problemResult } from './problem.ts';
import type { HttpResult, OperationHandler, OperationHandlers } from './http-types.ts';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: unknown) => void;

export interface AppOptions {
  handlers: OperationHandlers;
  /** Verifies a bearer token; throws a DomainError (unauthenticated) for a bad one. */
  authenticate: (token: string) => Promise<Principal>;
  /** The principal of a person acting for a company (`X-Acting-For: <USCC>`); throws a DomainError when not allowed. */
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
  /** Middleware mounted before the body parsers and outside the OpenAPI router (multipart uploads, C2SP tiles). */
  rawRoutes?: Array<{ path: string; handler: express.RequestHandler }>;
  /** Rewrites a URL before it is logged (signed links carry their capability in the path). */
  redactUrl?: (url: string) => string;
  /** Origins of the identity providers the pages sign in with (allowed in the pages' connect-src). */
  signInOrigins?: string[];
  /** Reverse-proxy hops to trust for the client address (rate limits, logs). */
  trustProxy?: number | null;
}

type Locals = { operationId?: string };

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
  await api.init();
  precompileRouting(api.router as never);
  assertEveryOperationHandled(api, options.handlers);
  const dispatch = createDispatcher(api, {
    handlers: Object.fromEntries(Object.entries(options.handlers).map(([operationId, handler]) => [operationId, withProblemsAnswered(handler, options.logger)])),
    authenticate: (operation, req) => bearerPrincipal(operation, req, options),
    routed: (operation, req) => {
      (req.res!.locals as Locals).operationId = operation.operationId;
    },
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (options.trustProxy) app.set('trust proxy', options.trustProxy);
  app.use(requestTelemetry({ logger: options.logger, metrics: options.metrics, operationOf: (res) => (res as Response).locals?.operationId as string | undefined, redactUrl: options.redactUrl }));
  // The pages talk to this origin only, and to the identity providers they sign people in with (discovery and
  // the token endpoint of the OIDC code flow).
  app.use(helmet({ contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'img-src': ["'self'", 'data:'], 'connect-src': ["'self'", ...(options.signInOrigins ?? [])] } } }));
  // The pages' scripts and styles go gzipped (verify.js: 690 KB → about 190 KB on a clerk's phone).
  for (const mount of options.staticMounts ?? []) app.use(mount.path, compression(), express.static(mount.directory, { index: false, fallthrough: false }));
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
  for (const route of options.rawRoutes ?? []) app.use(route.path, route.handler);
  app.use(express.json({ limit: options.maxBodyBytes, type: ['application/json', 'application/*+json'] }));
  app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }));
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      writeResult(res, inTokenEndpointFormat(req, res, await dispatch(req)), req.path);
    } catch (error) {
      next(error);
    }
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = edgeProblem(error);
    if (problem.status >= 500) options.logger.error({ err: error, req: { id: loggedRequestId(req) } }, 'request failed');
    writeResult(res, inTokenEndpointFormat(req, res, problemResult(problem)), req.path);
  });
  return app;
}

/**
 * The token endpoint's problems also carry RFC 6749's `error` members; every other answer is RFC 9457 only.
 * By the routed operation, or by the path when the request failed before routing (an unreadable body).
 */
function inTokenEndpointFormat(req: Request, res: Response, result: HttpResult): HttpResult {
  const tokenEndpoint = (res.locals as Locals).operationId === OAUTH_TOKEN_OPERATION || (req.method === 'POST' && req.path === '/oauth/token');
  return tokenEndpoint ? oauthTokenError(result, req.body) : result;
}

/** A request's principal from its bearer token and, for a company's agent, its X-Acting-For header. */
async function bearerPrincipal(operation: Operation, req: Request, options: AppOptions): Promise<Principal | false> {
  const header = req.headers.authorization;
  if (!header) return false;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
  if (!match) throw new ApiProblem(401, 'TOKEN_INVALID', 'Authorization must be "Bearer <token>"', {}, { 'WWW-Authenticate': 'Bearer error="invalid_request"' });
  const principal = await options.authenticate(match[1]!);
  const actingFor = req.headersDistinct['x-acting-for'];
  if (actingFor === undefined) return principal;
  if (!options.actFor || actingFor.length !== 1) throw new ApiProblem(400, 'ACTING_FOR_INVALID', 'X-Acting-For must be given once, with a company\'s unified social credit code');
  return options.actFor(principal, actingFor[0]!, operation.operationId!);
}

/** A handler's domain error becomes its answer; what went wrong underneath it (its cause) goes to the log. */
function withProblemsAnswered(handler: OperationHandler, logger: Logger): OperationHandler {
  return async (ctx) => {
    try {
      return await handler(ctx);
    } catch (error) {
      const problem = knownProblem(error);
      if (!problem) throw error;
      if (problem.cause !== undefined) logger.warn({ err: problem.cause, code: problem.code, operation: ctx.operationId }, 'dependency failed');
      else if (problem.status === 503) logger.warn({ err: error, code: problem.code, operation: ctx.operationId }, 'dependency failed');
      return problemResult(problem);
    }
  };
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
  const known = knownProblem(error);
  if (known) return known;
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
