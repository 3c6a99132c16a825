/**
 * openapi.yaml's examples are what /docs shows instead of values generated from the schemas' patterns
 * (which read like `"serviceItem": "v{}yzv}zw}}z{z…"`), so they must exist and be right: every operation
 * with a JSON (or form) request body has an example, every JSON answer — successes and problems — has one,
 * and every example validates against its schema with JSON Schema 2020-12 (OpenAPI 3.1's dialect), with
 * Ajv, the validator openapi-backend uses. A problem example carries a code of the error catalogue
 * (x-error-codes) with the status it is shown under.
 */
import { expect } from 'chai';
import { loadOpenApiDocument } from '../../src/http/openapi-document.ts';
import { errorCatalogue } from '../../src/operations/docs/error-catalogue.ts';
import { openApiValidators } from './openapi-ajv.ts';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const JSON_MEDIA = ['application/json', 'application/problem+json', 'application/x-www-form-urlencoded'];

/** One example and where it is shown. */
interface Shown {
  where: string;
  mediaType: string;
  /** JSON pointer of the schema it must match. */
  schemaPointer: string;
  value: unknown;
  name: string;
  status?: number;
}

const doc = loadOpenApiDocument() as Json;
const pointer = (segments: Array<string | number>) => '/' + segments.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const at = (p: string): any => p.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).reduce((node: any, key) => node?.[key], doc);
const resolve = (node: Json): { node: Json; pointer?: string } => {
  if (node && typeof node.$ref === 'string' && node.$ref.startsWith('#/')) return { node: at(node.$ref.slice(1)), pointer: node.$ref.slice(1) };
  return { node };
};

/** Every media type of every operation's request body and responses, with the pointer of its schema. */
function mediaTypes(): Array<{ where: string; opId: string; kind: 'request' | 'response'; status?: number; mediaType: string; media: Json; mediaPointer: string }> {
  const out = [];
  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (op.requestBody) {
        const body = resolve(op.requestBody);
        const base = body.pointer ?? pointer(['paths', path, method, 'requestBody']);
        for (const [mediaType, media] of Object.entries<Json>(body.node.content ?? {})) {
          out.push({ where, opId: op.operationId, kind: 'request' as const, mediaType, media, mediaPointer: `${base}/content/${pointer([mediaType]).slice(1)}` });
        }
      }
      for (const [status, raw] of Object.entries<Json>(op.responses ?? {})) {
        const response = resolve(raw);
        const base = response.pointer ?? pointer(['paths', path, method, 'responses', status]);
        for (const [mediaType, media] of Object.entries<Json>(response.node.content ?? {})) {
          out.push({ where: `${where} ${status}`, opId: op.operationId, kind: 'response' as const, status: Number(status), mediaType, media, mediaPointer: `${base}/content/${pointer([mediaType]).slice(1)}` });
        }
      }
    }
  }
  return out;
}

/** The examples of a media type (or parameter): `example`, or each of `examples` (Example Objects, $refs resolved). */
function examplesOf(node: Json): Array<{ name: string; value: unknown }> {
  if ('example' in node) return [{ name: 'example', value: node.example }];
  return Object.entries<Json>(node.examples ?? {}).map(([name, ex]) => {
    const resolved = resolve(ex).node;
    expect(resolved, `example ${name} (${ex.$ref ?? 'inline'}) resolves`).to.be.an('object');
    return { name, value: resolved.value };
  });
}

function schemaPointerOf(mediaPointer: string): string {
  const schema = at(`${mediaPointer}/schema`);
  return schema?.$ref?.startsWith('#/') ? schema.$ref.slice(1) : `${mediaPointer}/schema`;
}

describe('openapi.yaml examples', () => {
  const validators = openApiValidators(doc);
  const validatorAt = (schemaPointer: string) => validators.at(schemaPointer);
  const media = mediaTypes();
  const catalogue = new Map(errorCatalogue(doc).flatMap((g) => g.codes).map((c) => [c.code, c.statuses]));

  const shown: Shown[] = media.flatMap((m) => examplesOf(m.media).map((e) => ({ where: m.where, mediaType: m.mediaType, schemaPointer: schemaPointerOf(m.mediaPointer), value: e.value, name: e.name, status: m.status })));

  it('gives every operation with a JSON or form request body an example', () => {
    const without = media.filter((m) => m.kind === 'request' && JSON_MEDIA.includes(m.mediaType) && examplesOf(m.media).length === 0).map((m) => m.where);
    expect(without).to.deep.equal([]);
  });

  it('gives every JSON answer an example: each success and each problem', () => {
    const without = media.filter((m) => m.kind === 'response' && JSON_MEDIA.includes(m.mediaType) && examplesOf(m.media).length === 0).map((m) => `${m.where} ${m.mediaType}`);
    expect(without).to.deep.equal([]);
    const successes = new Set(media.filter((m) => m.kind === 'response' && m.status! < 300 && m.mediaType === 'application/json').map((m) => m.opId));
    expect(successes.size, 'operations with a JSON success answer').to.be.greaterThan(60);
  });

  it('validates every example against its schema (JSON Schema 2020-12, $refs resolved)', () => {
    expect(shown.length).to.be.greaterThan(200);
    const failures = shown.flatMap((s) => {
      const validate = validatorAt(s.schemaPointer);
      return validate(s.value) ? [] : [`${s.where} ${s.mediaType} example ${s.name}: ${validators.errorsText(validate)}`];
    });
    expect(failures).to.deep.equal([]);
  });

  it('validates the examples of parameters and the `example` annotations inside schemas', () => {
    const failures: string[] = [];
    const checked = { parameters: 0, schemas: 0 };
    const walkSchema = (node: unknown, p: string) => {
      if (!node || typeof node !== 'object') return;
      const schema = node as Json;
      if ('example' in schema) {
        checked.schemas++;
        const validate = validatorAt(p);
        if (!validate(schema.example)) failures.push(`${p}: ${validators.errorsText(validate)}`);
      }
      for (const key of ['properties', '$defs', 'patternProperties']) for (const [k, v] of Object.entries<Json>(schema[key] ?? {})) walkSchema(v, `${p}/${key}/${pointer([k]).slice(1)}`);
      for (const key of ['items', 'additionalProperties', 'not', 'contains']) if (typeof schema[key] === 'object') walkSchema(schema[key], `${p}/${key}`);
      for (const key of ['oneOf', 'anyOf', 'allOf', 'prefixItems']) (schema[key] ?? []).forEach((v: unknown, i: number) => walkSchema(v, `${p}/${key}/${i}`));
    };
    for (const [name, schema] of Object.entries<Json>(doc.components.schemas)) walkSchema(schema, pointer(['components', 'schemas', name]));
    for (const m of media) walkSchema(at(`${m.mediaPointer}/schema`), `${m.mediaPointer}/schema`);
    const parameters: Array<[Json, string]> = Object.entries<Json>(doc.components.parameters).map(([name, p]) => [p, pointer(['components', 'parameters', name])]);
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      (item.parameters ?? []).forEach((p: Json, i: number) => parameters.push([p, pointer(['paths', path, 'parameters', i])]));
      for (const method of METHODS) (item[method]?.parameters ?? []).forEach((p: Json, i: number) => parameters.push([p, pointer(['paths', path, method, 'parameters', i])]));
    }
    for (const [parameter, p] of parameters) {
      if (parameter.$ref) continue;
      for (const e of examplesOf(parameter)) {
        checked.parameters++;
        const validate = validatorAt(`${p}/schema`);
        if (!validate(e.value)) failures.push(`${p} example ${e.name}: ${validators.errorsText(validate)}`);
      }
    }
    expect(failures).to.deep.equal([]);
    expect(checked.schemas).to.be.greaterThan(0);
    expect(checked.parameters).to.be.greaterThan(0);
  });

  it('shows problems with catalogued codes, under the status they are answered with', () => {
    const wrong = shown.filter((s) => s.mediaType === 'application/problem+json').flatMap((s) => {
      const problem = s.value as { code?: string; status?: number };
      const statuses = catalogue.get(problem.code ?? '');
      if (!statuses) return [`${s.where} ${s.name}: ${problem.code} is not in x-error-codes`];
      if (problem.status !== s.status) return [`${s.where} ${s.name}: status ${problem.status} shown under ${s.status}`];
      if (!statuses.includes(s.status!)) return [`${s.where} ${s.name}: ${problem.code} is catalogued as ${statuses.join('/')}, not ${s.status}`];
      return [];
    });
    expect(wrong).to.deep.equal([]);
  });

  it('has no example that nothing shows, and a summary for each', () => {
    const referenced = new Set(JSON.stringify(doc).match(/#\/components\/examples\/[A-Za-z0-9_]+/g)!.map((r) => r.split('/').pop()));
    const all = Object.entries<Json>(doc.components.examples ?? {});
    expect(all.filter(([name]) => !referenced.has(name)).map(([name]) => name), 'unused examples').to.deep.equal([]);
    expect(all.filter(([, e]) => typeof e.summary !== 'string' || e.summary.length === 0).map(([name]) => name), 'examples without a summary').to.deep.equal([]);
  });
});
