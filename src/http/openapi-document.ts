import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const OPENAPI_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../openapi.yaml');

export function loadOpenApiText(): string {
  return fs.readFileSync(OPENAPI_PATH, 'utf8');
}

export function loadOpenApiDocument(): Record<string, unknown> {
  return YAML.parse(loadOpenApiText()) as Record<string, unknown>;
}

interface RoutableOperation {
  path: string;
  method: string;
}

interface RouterRequest {
  method: string;
  path: string;
  headers?: Record<string, unknown>;
  query?: unknown;
  body?: unknown;
}

interface OpenApiRouter {
  getOperations(): RoutableOperation[];
  normalizeRequest(req: RouterRequest): RouterRequest;
  normalizePath(path: string): string;
  isUnderApiRoot(path: string): boolean;
  matchOperation(req: RouterRequest, strict?: boolean): RoutableOperation | undefined;
  parseRequest(req: RouterRequest, operation?: RoutableOperation): Record<string, unknown>;
}

/**
 * openapi-backend's router rebuilds its whole operation list (a spread of every operation of every path)
 * and compiles a regular expression for every path template, on every request, to route it. The
 * definition never changes after init, so this builds the list, an exact-path index and the compiled
 * templates once, and routes with the same rules: an exact path with the method wins; else the matching
 * templates, most specific (longest literal part) first, with the method; a path outside the API root or
 * one no template matches is 404, a path matched only under other methods 405 (the same errors the
 * router throws).
 */
export function precompileRouting(router: OpenApiRouter): void {
  const operations = router.getOperations();
  router.getOperations = () => operations;
  const byExactPath = new Map<string, RoutableOperation[]>();
  for (const operation of operations) byExactPath.set(operation.path, [...(byExactPath.get(operation.path) ?? []), operation]);
  const templates = operations
    .map((operation) => ({ operation, pattern: templatePattern(operation.path), literalLength: operation.path.replace(/\{.*?\}/g, '').length }))
    .sort((a, b) => b.literalLength - a.literalLength); // stable: equal lengths keep the document's order, as lodash's orderBy
  router.matchOperation = (req, strict) => {
    const normalized = router.normalizeRequest(req);
    if (!router.isUnderApiRoot(normalized.path)) {
      if (strict) throw new Error('404-notFound: no route matches request');
      return undefined;
    }
    const path = router.normalizePath(normalized.path);
    const exact = byExactPath.get(path)?.find((operation) => operation.method === normalized.method);
    if (exact) return exact;
    const matching = templates.filter((template) => template.pattern.test(path));
    if (matching.length === 0) {
      if (strict) throw new Error('404-notFound: no route matches request');
      return undefined;
    }
    const match = matching.find((template) => template.operation.method === normalized.method)?.operation;
    if (!match && strict) throw new Error('405-methodNotAllowed: this method is not registered for the route');
    return match;
  };
  precompilePlainParsing(router);
}

/**
 * openapi-backend parses each request twice (once to validate it, once for the handler), and each time
 * compiles the operation's path template into a regular expression, deep-clones the query, re-parses the
 * cookie header and copies the headers through lodash: about 4% of the CPU of an exchange query. Most
 * requests have nothing for those steps to find: no query string, no cookie, an object body (or none) and
 * a path without parameters. Such a request gets the parsed form those steps produce (no path parameters,
 * an empty query and cookie jar, the headers under lower-case names) without running them; any other
 * request goes through openapi-backend's own parser.
 */
function precompilePlainParsing(router: OpenApiRouter): void {
  const parseRequest = router.parseRequest.bind(router);
  // The cookie parser's empty jar is an object of its own class; a plain request gets a fresh one of the same.
  const emptyJar = Object.getPrototypeOf(parseRequest({ method: 'get', path: '/', headers: {}, query: {} }).cookies) as object | null;
  router.parseRequest = (req, operation) => {
    if (!isPlainRequest(req, operation)) return parseRequest(req, operation);
    const headers: Record<string, unknown> = {};
    for (const name of Object.keys(req.headers!)) {
      const lowerCase = name.toLowerCase();
      if (lowerCase === 'cookie') return parseRequest(req, operation);
      headers[lowerCase] = req.headers![name];
    }
    return { ...router.normalizeRequest(req), params: {}, headers, query: {}, cookies: Object.create(emptyJar), requestBody: req.body };
  };
}

/** No query parameters, no path parameters, and a body that needs no parsing (an object, or none). */
function isPlainRequest(req: RouterRequest, operation: RoutableOperation | undefined): boolean {
  const query = req.query as Record<string, unknown> | undefined;
  // A truthy body that is not an object would be JSON-parsed; a query that is not an object would be read from the path.
  return typeof query === 'object' && query !== null && Object.keys(query).length === 0
    && (!req.body || typeof req.body === 'object')
    && typeof req.headers === 'object' && req.headers !== null
    && (!operation || !operation.path.includes('{'));
}

/** `/licences/{licenceId}/status` → /^\/licences\/[^/]+\/status$/ (literal parts escaped). */
function templatePattern(template: string): RegExp {
  const escape = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${template.replace(/\{[^}]+\}/g, '\0').split('\0').map(escape).join('[^/]+')}$`);
}
