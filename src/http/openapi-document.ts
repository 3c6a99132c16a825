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
