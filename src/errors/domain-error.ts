/**
 * Domain errors: what went wrong, as a kind and a stable code, with no HTTP in it. Services, stores,
 * pipelines and adapters throw these; the HTTP edge (src/http/problem.ts) is the one place that turns a
 * kind into a status code and problem+json, and the CLI and the digitization pipeline decide on the kind
 * (an `unavailable` port is worth retrying; an `invalid` row is not).
 */

export type DomainErrorKind =
  /** The input breaks a rule; `fields` names what to fix. */
  | 'invalid'
  /** No credentials, or credentials that do not verify. */
  | 'unauthenticated'
  /** Authenticated, but this principal may not do this. */
  | 'forbidden'
  /** Does not exist, or is not the caller's to see (a holder must not learn another holder's licence exists). */
  | 'not-found'
  /** The request conflicts with the current state (a transition that is not allowed, a duplicate). */
  | 'conflict'
  /** Not ready yet, will be without anything changing on the caller's side (a receipt before its checkpoint). */
  | 'not-ready'
  | 'too-large'
  | 'unsupported-media-type'
  | 'rate-limited'
  /** A port (database, object store, ledger) does not answer: the same request will succeed later. */
  | 'unavailable'
  /** The vault's own state is inconsistent (a stored document that fails its hash check). */
  | 'internal';

export interface FieldError {
  field: string;
  message: string;
}

export interface DomainErrorOptions {
  fields?: FieldError[];
  /** When a retry makes sense (unavailable, not-ready, rate-limited). */
  retryAfterSeconds?: number;
  /** Extra members the answer carries (an access record's id, say). */
  extensions?: Record<string, unknown>;
  /** What went wrong underneath (a driver error): logged, never shown to a client. */
  cause?: unknown;
  /**
   * What a client is told, when the message itself is for the log only (an adapter's message can name
   * hosts, peers and paths). Default: the message.
   */
  publicDetail?: string;
}

/** Seconds a client should wait before retrying after a port outage. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

export class DomainError extends Error {
  readonly fields?: FieldError[];
  readonly retryAfterSeconds?: number;
  readonly extensions: Record<string, unknown>;
  /** What a client is told (see DomainErrorOptions.publicDetail). */
  readonly publicDetail: string;

  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    detail: string,
    options: DomainErrorOptions = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    if (options.fields) this.fields = options.fields;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    this.extensions = options.extensions ?? {};
    this.publicDetail = options.publicDetail ?? detail;
  }

  // Shorthands, one per kind, so a throw site reads as the rule it enforces.
  static invalid(code: string, detail: string, fields?: FieldError[]): DomainError {
    return new DomainError('invalid', code, detail, fields ? { fields } : {});
  }

  static unauthenticated(code: string, detail: string): DomainError {
    return new DomainError('unauthenticated', code, detail);
  }

  static authenticationRequired(): DomainError {
    return new DomainError('unauthenticated', 'AUTHENTICATION_REQUIRED', 'a bearer token is required');
  }

  static forbidden(code: string, detail: string): DomainError {
    return new DomainError('forbidden', code, detail);
  }

  static notFound(code: string, detail: string): DomainError {
    return new DomainError('not-found', code, detail);
  }

  static conflict(code: string, detail: string): DomainError {
    return new DomainError('conflict', code, detail);
  }

  static notReady(code: string, detail: string, retryAfterSeconds: number): DomainError {
    return new DomainError('not-ready', code, detail, { retryAfterSeconds });
  }

  static unavailable(code: string, detail: string, cause?: unknown): DomainError {
    return new DomainError('unavailable', code, detail, { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS, cause });
  }

  static internal(code: string, detail: string): DomainError {
    return new DomainError('internal', code, detail);
  }
}

export function isDomainError(error: unknown, kind?: DomainErrorKind): error is DomainError {
  return error instanceof DomainError && (kind === undefined || error.kind === kind);
}

/** True for an outage of a port: worth retrying later, never the caller's fault. */
export function isUnavailable(error: unknown): boolean {
  return isDomainError(error, 'unavailable');
}
