/**
 * One error shape at the HTTP edge: RFC 9457 problem details, with a stable `code` that clients and tests
 * match on. Services throw ApiProblem; the edge serialises it. Anything else becomes an opaque 500 whose
 * details go to the log, never to the client.
 */
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
      ...this.extensions,
    };
  }
}

export const problems = {
  badRequest: (code: string, detail: string, errors?: FieldProblem[]) =>
    new ApiProblem(400, code, detail, errors ? { errors } : {}),
  unauthorized: (code: string, detail: string) =>
    new ApiProblem(401, code, detail, {}, { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${detail.replace(/"/g, "'")}"` }),
  forbidden: (code: string, detail: string) => new ApiProblem(403, code, detail),
  // 404 doubles as "not yours": a holder must not learn that another holder's licence exists.
  notFound: (code: string, detail: string) => new ApiProblem(404, code, detail),
  conflict: (code: string, detail: string) => new ApiProblem(409, code, detail),
  unavailable: (code: string, detail: string, cause?: unknown) => new ApiProblem(503, code, detail, {}, { 'Retry-After': '5' }, cause),
  /** The database is down or restarting: the same request will succeed later, so 503 with Retry-After, never 500. */
  databaseUnavailable: (): ApiProblem => problems.unavailable('DATABASE_UNAVAILABLE', 'the database is unavailable; retry later'),
};

/** The HTTP result that carries a problem (the edge adds `instance`). */
export function problemResult(problem: ApiProblem): HttpResult {
  return { status: problem.status, json: problem.toBody(), contentType: 'application/problem+json', headers: problem.headers };
}
