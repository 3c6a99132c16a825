/**
 * Validators for the schemas of openapi.yaml with JSON Schema 2020-12 (OpenAPI 3.1's dialect), with Ajv — the
 * validator openapi-backend depends on — and every $ref resolved as in the document.
 */
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as typeof import('ajv/dist/2020.js').default;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: unknown) => void;

const DOC_ID = 'https://licence-vault.invalid/openapi.json';

export interface OpenApiValidators {
  /** The validator of the schema at this JSON pointer of the document (e.g. /components/schemas/Problem). */
  at(schemaPointer: string): ValidateFunction;
  errorsText(validate: ValidateFunction): string;
}

export function openApiValidators(doc: Record<string, any>): OpenApiValidators {
  // Unknown keywords are an error (a typo, or a flow mapping YAML split at a comma), except OpenAPI's own.
  const ajv = new Ajv2020({ allErrors: true, strict: false, strictSchema: true, validateSchema: false });
  addFormats(ajv);
  // OpenAPI's annotations inside schemas (3.1 §4.8.24), not JSON Schema keywords.
  ajv.addVocabulary(['example', 'xml', 'externalDocs', 'discriminator']);
  // The document's top-level members: it is added whole so $refs resolve, and Ajv compiles its root.
  ajv.addVocabulary(['openapi', 'info', 'servers', 'tags', 'security', 'paths', 'components', 'webhooks', 'jsonSchemaDialect', 'x-error-codes']);
  // Without the examples: their values are data (a licence type's JSON Schema with its $id, say), not schemas.
  const { examples: _values, ...components } = doc.components;
  ajv.addSchema({ ...doc, components }, DOC_ID);
  const compiled = new Map<string, ValidateFunction>();
  return {
    at(schemaPointer) {
      let validate = compiled.get(schemaPointer);
      if (!validate) {
        const fragment = schemaPointer.split('/').map((s) => encodeURIComponent(s)).join('/');
        validate = ajv.compile({ $ref: `${DOC_ID}#${fragment}` });
        compiled.set(schemaPointer, validate);
      }
      return validate;
    },
    errorsText: (validate) => ajv.errorsText(validate.errors),
  };
}
