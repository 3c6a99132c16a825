/**
 * Validates every HTTP response a test receives against openapi.yaml: status declared for the operation,
 * content type declared, JSON body matching the declared schema. A separate OpenAPIBackend instance from
 * the app's, so the check does not share the code under test.
 */
import { OpenAPIBackend } from 'openapi-backend';
import addFormatsModule from 'ajv-formats';
import { loadOpenApiDocument } from '../../src/http/openapi-document.ts';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: unknown) => void;

let backend: Promise<OpenAPIBackend> | undefined;

function contractBackend(): Promise<OpenAPIBackend> {
  backend ??= (async () => {
    const api = new OpenAPIBackend({ definition: loadOpenApiDocument() as never, quick: true, customizeAjv: (ajv) => { addFormats(ajv); return ajv; } });
    await api.init();
    return api;
  })();
  return backend;
}

export class ContractViolation extends Error {}

export async function assertMatchesContract(method: string, path: string, response: { status: number; headers: Headers; body: unknown }): Promise<void> {
  const api = await contractBackend();
  const operation = api.router.matchOperation({ method, path: path.split('?')[0]!, headers: {} });
  if (!operation) throw new ContractViolation(`${method} ${path} is not an operation of openapi.yaml`);
  const declared = operation.responses ?? {};
  const entry = (declared[String(response.status)] ?? declared.default) as { content?: Record<string, unknown> } | undefined;
  if (!entry) throw new ContractViolation(`${operation.operationId}: status ${response.status} is not declared (declared: ${Object.keys(declared).join(', ')})`);
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (entry.content && !Object.keys(entry.content).includes(contentType)) {
    throw new ContractViolation(`${operation.operationId} ${response.status}: content type ${contentType} not declared (${Object.keys(entry.content).join(', ')})`);
  }
  if (contentType.endsWith('json')) {
    const result = api.validateResponse(response.body, operation, response.status);
    if (result.errors?.length) throw new ContractViolation(`${operation.operationId} ${response.status} body violates the contract: ${JSON.stringify(result.errors)}`);
  }
}
