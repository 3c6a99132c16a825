/**
 * Runs a request through its OpenAPI operation, in openapi-backend's order and with its outcomes: route
 * (404 / 405), media type (415), security (401, or the problem the authenticator throws), validation
 * against the operation's compiled schemas (400 naming each field), then the handler. openapi.yaml still
 * decides everything, through openapi-backend's router and validator; only handleRequest's orchestration
 * is written out here, because it parsed each request four times over (twice more than the validator and
 * the handler need) and cost about a tenth of the service's CPU per exchange query.
 */
import type { Request } from 'express';
import type { OpenAPIBackend, Operation } from 'openapi-backend';
import type { Principal } from '../principals/principal.ts';
import type { HttpResult, OperationHandlers } from './http-types.ts';
import { ApiProblem, knownProblem, problemResult } from './problem.ts';
import type { FieldProblem } from './problem.ts';

export interface DispatchOptions {
  handlers: OperationHandlers;
  /**
   * The principal of a request to a secured operation: false when it carries no credentials; throws an
   * ApiProblem for bad ones (or an outage error when they could not be checked).
   */
  authenticate: (operation: Operation, req: Request) => Promise<Principal | false>;
  /** Called once the operation is known (for logs and metrics). */
  routed?: (operation: Operation, req: Request) => void;
}

/** Each security requirement of openapi.yaml, as the scheme names that must all succeed. */
type Requirement = string[];

export function createDispatcher(api: OpenAPIBackend, options: DispatchOptions): (req: Request) => Promise<HttpResult> {
  // Keyed by id, not by object: openapi-backend's router may hand out fresh operation objects per call.
  const requirementsOf = new Map<string, Requirement[]>();
  for (const operation of api.getOperations()) {
    const requirements = (operation.security ?? []).map((requirement) => Object.keys(requirement));
    // Only the bearer scheme has an authenticator here; an operation needing another would fail open or
    // shut by accident, so it fails start-up instead.
    const unknown = requirements.flat().filter((scheme) => scheme !== 'bearer');
    if (unknown.length) throw new Error(`${operation.operationId} needs security scheme(s) ${unknown.join(', ')}, which this service cannot check`);
    requirementsOf.set(operation.operationId!, requirements);
  }

  return async (req) => {
    const request = { method: req.method, path: req.path, query: req.query as Record<string, string>, body: req.body, headers: req.headers as Record<string, string> };
    let operation: Operation;
    try {
      operation = api.router.matchOperation(request, true) as Operation;
    } catch (error) {
      if ((error as Error).message.startsWith('405')) return problemResult(new ApiProblem(405, 'METHOD_NOT_ALLOWED', 'this route does not accept that method'));
      return problemResult(new ApiProblem(404, 'ROUTE_NOT_FOUND', 'no such route'));
    }
    options.routed?.(operation, req);
    assertContentType(operation, req);

    const requirements = requirementsOf.get(operation.operationId!);
    if (!requirements) throw new Error(`no security requirements known for ${operation.operationId}`); // never public by accident
    let principal: Principal | null = null;
    // Every requirement here is [] (public) or ["bearer"]: an empty one is met by anyone, the other by a token.
    if (requirements.length > 0 && !requirements.some((schemes) => schemes.length === 0)) {
      let authenticated: Principal | false;
      try {
        authenticated = await options.authenticate(operation, req);
      } catch (failure) {
        return problemResult(unauthorized(failure));
      }
      if (!authenticated) return problemResult(unauthorized(undefined));
      principal = authenticated;
    }

    const validation = api.validator.validateRequest(request, operation);
    if (validation.errors) return problemResult(validationProblem(validation.errors));
    // As openapi-backend does: parameters again, from the request as validation coerced it.
    const parsed = api.router.parseRequest(validation.coerced ?? request, operation);
    const operationId = operation.operationId!;
    return options.handlers[operationId]!({
      operationId, principal, params: parsed.params as Record<string, string>, query: parsed.query as Record<string, unknown>, headers: req.headers, body: req.body,
    });
  };
}

function unauthorized(failure: unknown): ApiProblem {
  // A token that could not be checked is not a bad token: the client must retry, not re-authenticate.
  const known = knownProblem(failure);
  if (known) return known;
  return new ApiProblem(401, 'AUTHENTICATION_REQUIRED', 'a bearer token is required', {}, { 'WWW-Authenticate': 'Bearer' });
}

/** A body must arrive in one of the media types the operation declares (else 415), before validation. */
function assertContentType(operation: Operation, req: Request): void {
  const requestBody = operation.requestBody as { content?: Record<string, unknown> } | undefined;
  if (!requestBody?.content) return;
  const declared = Object.keys(requestBody.content);
  const given = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!given) throw new ApiProblem(415, 'CONTENT_TYPE_REQUIRED', `send the body as ${declared.join(' or ')}`);
  if (!declared.includes(given)) throw new ApiProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `content type ${given} is not accepted here; send ${declared.join(' or ')}`);
}

interface SchemaError {
  instancePath: string;
  keyword: string;
  params: unknown;
  message?: string;
}

function validationProblem(schemaErrors: SchemaError[]): ApiProblem {
  const errors: FieldProblem[] = schemaErrors.map((e) => {
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
