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

interface OpenApiRouter {
  getOperations(): RoutableOperation[];
  normalizeRequest(req: { method: string; path: string }): { method: string; path: string };
  normalizePath(path: string): string;
  isUnderApiRoot(path: string): boolean;
  matchOperation(req: { method: string; path: string }, strict?: boolean): RoutableOperation | undefined;
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
}

/** `/licences/{licenceId}/status` → /^\/licences\/[^/]+\/status$/ (literal parts escaped). */
function templatePattern(template: string): RegExp {
  const escape = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${template.replace(/\{[^}]+\}/g, '\0').split('\0').map(escape).join('[^/]+')}$`);
}
