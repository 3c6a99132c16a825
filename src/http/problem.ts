/**
 * One error shape at the HTTP edge: RFC 9457 problem details, with a stable `code` that clients and tests
 * match on. Everything below the edge throws domain errors (src/errors/domain-error.ts); this module is the
 * one place that maps them, and a port's driver errors, to a status: a kind decides the status, an outage
 * of any port (database, object store, ledger) is 503 with Retry-After. Anything else becomes an opaque
 * 500 whose details go to the log, never to the client.
 */
import { isDatabaseUnavailableError } from '../db/database.ts';
import { DomainError, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../errors/domain-error.ts';
import type { DomainErrorKind } from '../errors/domain-error.ts';
import type { HttpResult } from './http-types.ts';

export interface FieldProblem {
  field: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: FieldProblem[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly extensions: { errors?: FieldProblem[]; [key: string]: unknown } = {},
    readonly headers: Record<string, string> = {},
    /** What went wrong underneath (a driver error): logged by the edge, never sent to the client. */
    cause?: unknown,
  ) {
    super(detail, cause === undefined ? undefined : { cause });
  }

  toBody(instance?: string): ProblemBody {
    return {
      type: `urn:licence-vault:problem:${this.code.toLowerCase().replace(/_/g, '-')}`,
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
      code: this.code,
      ...(instance ? { instance } : {}),
      ...withoutOAuthMembers(this.extensions),
    };
  }
}

/**
 * RFC 6749 §5.2's members. A problem carries them only at the token endpoint (see oauthTokenError); an
 * extension of that name from anywhere else is dropped, so no other answer can mix the two formats.
 */
const OAUTH_ERROR_MEMBERS = new Set(['error', 'error_description', 'error_uri']);

function withoutOAuthMembers(extensions: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(extensions).filter(([name]) => !OAUTH_ERROR_MEMBERS.has(name)));
}

const STATUS_OF_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  // 404 doubles as "not yours": a holder must not learn that another holder's licence exists.
  'not-found': 404,
  conflict: 409,
  'not-ready': 409,
  'too-large': 413,
  'unsupported-media-type': 415,
  'rate-limited': 429,
  internal: 500,
  unavailable: 503,
};

/** The status a domain error is answered with (also for the OpenAPI error catalogue). */
export function statusOfKind(kind: DomainErrorKind): number {
  return STATUS_OF_KIND[kind];
}

/** A domain error as the problem it is answered with. */
export function problemFromDomainError(error: DomainError): ApiProblem {
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
  else if (error.kind === 'unavailable') headers['Retry-After'] = String(UNAVAILABLE_RETRY_AFTER_SECONDS);
  // RFC 6750 §3: a bearer challenge; no error code when no token was presented at all. (The token endpoint
  // takes no bearer token: oauthTokenError removes the challenge from its answers.)
  if (error.kind === 'unauthenticated') {
    headers['WWW-Authenticate'] = error.code === 'AUTHENTICATION_REQUIRED' ? 'Bearer' : `Bearer error="invalid_token", error_description="${error.publicDetail.replace(/["\\]/g, "'")}"`;
  }
  const extensions = { ...(error.fields ? { errors: error.fields } : {}), ...error.extensions };
  // The message goes to the log (the edge logs the error); the client gets the public detail.
  return new ApiProblem(STATUS_OF_KIND[error.kind], error.code, error.publicDetail, extensions, headers, error.cause);
}

/**
 * What any thrown value is answered with, or null for an unexpected error (a 500 the caller logs). A
 * database the driver cannot reach is an outage of a port like any other: 503, never 500.
 */
export function knownProblem(error: unknown): ApiProblem | null {
  if (error instanceof ApiProblem) return error;
  if (error instanceof DomainError) return problemFromDomainError(error);
  if (isDatabaseUnavailableError(error)) return problemFromDomainError(DomainError.unavailable('DATABASE_UNAVAILABLE', 'the database is unavailable; retry later'));
  return null;
}

/** The HTTP result that carries a problem (the edge adds `instance`). */
export function problemResult(problem: ApiProblem): HttpResult {
  return { status: problem.status, json: problem.toBody(), contentType: 'application/problem+json', headers: problem.headers };
}

/** The operation whose answers keep RFC 6749's error format: the OAuth token endpoint, and only it. */
export const OAUTH_TOKEN_OPERATION = 'issueAccessToken';

/** RFC 6749 §5.2 error codes, by the problem code the token service refuses with. */
const OAUTH_ERROR_OF_CODE: Record<string, string> = {
  INVALID_REQUEST: 'invalid_request',
  INVALID_CLIENT: 'invalid_client',
  UNSUPPORTED_GRANT_TYPE: 'unsupported_grant_type',
  INVALID_SCOPE: 'invalid_scope',
};

/**
 * A problem answered by the token endpoint, with RFC 6749 §5.2's `error` and `error_description` added, so
 * an OAuth client library understands it as well as a client reading RFC 9457 (`type`, `code`, `detail` stay).
 * Whatever refused the request — the token service, the contract's validation (a wrong `grant_type` is
 * `unsupported_grant_type`, any other malformed request `invalid_request`), the media-type check or an outage
 * (`temporarily_unavailable`, `server_error`, as RFC 6749 §4.1.2.1 names them) — the answer has the same
 * shape. No bearer challenge: the endpoint authenticates clients by their assertion, not a bearer token; and,
 * like the token itself (RFC 6749 §5.1), the answer is not to be cached.
 */
export function oauthTokenError(result: HttpResult, requestBody: unknown): HttpResult {
  if (result.contentType !== 'application/problem+json') return result;
  const problem = result.json as ProblemBody;
  const grantType = (requestBody as { grant_type?: unknown } | undefined)?.grant_type;
  const error = OAUTH_ERROR_OF_CODE[problem.code] ?? oauthErrorOfStatus(problem.status, typeof grantType === 'string' && grantType !== 'client_credentials');
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'www-authenticate'));
  return { ...result, json: { ...problem, error, error_description: problem.detail }, headers: { ...headers, 'Cache-Control': 'no-store' } };
}

function oauthErrorOfStatus(status: number, unsupportedGrantType: boolean): string {
  if (status === 503) return 'temporarily_unavailable';
  if (status >= 500) return 'server_error';
  if (status === 401) return 'invalid_client';
  return unsupportedGrantType ? 'unsupported_grant_type' : 'invalid_request';
}
