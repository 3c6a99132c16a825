import type { Principal } from '../principals/principal.ts';

/** What an operation handler sees: parsed, validated input and the authenticated principal. */
export interface RequestContext {
  operationId: string;
  principal: Principal | null;
  params: Record<string, string>;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** What an operation handler returns; the edge writes it. Handlers never touch express objects. */
export interface HttpResult {
  status: number;
  json?: unknown;
  body?: Uint8Array | string;
  contentType?: string;
  headers?: Record<string, string>;
}

export type OperationHandler = (ctx: RequestContext) => Promise<HttpResult>;
export type OperationHandlers = Record<string, OperationHandler>;
