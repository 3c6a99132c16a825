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

/**
 * openapi-backend's router rebuilds its whole operation list (a spread of every operation of every path)
 * up to twice per request to route it. The definition never changes after init, so build the list once.
 */
export function memoizeOperations(router: { getOperations(): unknown[] }): void {
  const operations = router.getOperations();
  router.getOperations = () => operations;
}
