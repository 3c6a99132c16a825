/**
 * The licence-type catalogue: one JSON Schema (draft 2020-12) per type in `schemas/`, with an
 * `x-licence-type` block naming the issuing department, the holder kind, the sharing class and which
 * fields may be disclosed. Loaded once at start; a malformed schema stops the service (fail fast).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

import type { HolderKind } from '../identity/holder-id.ts';
export type SharingClass = 'unconditional' | 'conditional' | 'not-shared';

export interface FieldDefinition {
  name: string;
  labelZh: string;
  labelEn: string;
  required: boolean;
  disclosable: boolean;
}

export interface LicenceType {
  key: string;
  code: string;
  nameZh: string;
  nameEn: string;
  issuer: string;
  holderKind: HolderKind;
  sharingClass: SharingClass;
  defaultValidityYears: number | null;
  /** The date field the validity starts from when the issuer gives no validFrom (a health certificate: the examination). */
  validFromField: string | null;
  fields: FieldDefinition[];
  publicFields: string[];
  schema: Record<string, unknown>;
}

export interface FieldViolation {
  field: string;
  message: string;
}

export const DEFAULT_SCHEMAS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas');

// ajv-formats ships CommonJS with a default export; under ESM interop it may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

export class CatalogueError extends Error {
  readonly code = 'CATALOGUE_INVALID';
}

export class LicenceTypeCatalogue {
  private readonly byKey = new Map<string, LicenceType>();
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(types: Array<{ type: LicenceType; validate: ValidateFunction }>) {
    for (const { type, validate } of types) {
      if (this.byKey.has(type.key)) throw new CatalogueError(`duplicate licence type key ${type.key}`);
      if ([...this.byKey.values()].some((t) => t.code === type.code)) throw new CatalogueError(`duplicate licence type code ${type.code}`);
      this.byKey.set(type.key, type);
      this.validators.set(type.key, validate);
    }
  }

  static load(dir: string = DEFAULT_SCHEMAS_DIR): LicenceTypeCatalogue {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
    ajv.addKeyword('x-licence-type').addKeyword('x-label-zh').addKeyword('x-label-en');
    addFormats(ajv);
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    return new LicenceTypeCatalogue(
      files.map((file) => {
        const schema = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
        return { type: describeType(schema, file), validate: ajv.compile(schema) };
      }),
    );
  }

  get(key: string): LicenceType | undefined {
    return this.byKey.get(key);
  }

  byCode(code: string): LicenceType | undefined {
    return [...this.byKey.values()].find((t) => t.code === code);
  }

  list(): LicenceType[] {
    return [...this.byKey.values()];
  }

  /** Validates a licence's fields against its type's schema; returns one violation per problem. */
  validateFields(key: string, fields: unknown): FieldViolation[] {
    const validate = this.validators.get(key);
    if (!validate) throw new CatalogueError(`unknown licence type ${key}`);
    if (validate(fields)) return [];
    return (validate.errors ?? []).map(toViolation);
  }
}

function toViolation(error: ErrorObject): FieldViolation {
  const base = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return { field: joinPath(base, missing), message: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return { field: joinPath(base, extra), message: 'is not a field of this licence type' };
  }
  return { field: base || '(fields)', message: error.message ?? 'is invalid' };
}

function joinPath(base: string, name: string): string {
  return base ? `${base}.${name}` : name;
}

function describeType(schema: Record<string, unknown>, file: string): LicenceType {
  const meta = schema['x-licence-type'] as Record<string, unknown> | undefined;
  if (!meta) throw new CatalogueError(`${file}: missing x-licence-type`);
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((schema.required ?? []) as string[]);
  const disclosable = new Set((meta.disclosableFields ?? []) as string[]);
  const need = (name: string): string => {
    const v = meta[name];
    if (typeof v !== 'string' || v === '') throw new CatalogueError(`${file}: x-licence-type.${name} must be a non-empty string`);
    return v;
  };
  const holderKind = need('holderKind');
  const sharingClass = need('sharingClass');
  if (holderKind !== 'person' && holderKind !== 'organisation') throw new CatalogueError(`${file}: bad holderKind ${holderKind}`);
  if (!['unconditional', 'conditional', 'not-shared'].includes(sharingClass)) throw new CatalogueError(`${file}: bad sharingClass ${sharingClass}`);
  const fields = Object.entries(properties).map(([name, prop]) => {
    const labelZh = prop['x-label-zh'];
    const labelEn = prop['x-label-en'];
    if (typeof labelZh !== 'string' || typeof labelEn !== 'string') throw new CatalogueError(`${file}: field ${name} needs x-label-zh and x-label-en`);
    return { name, labelZh, labelEn, required: required.has(name), disclosable: disclosable.has(name) };
  });
  for (const name of disclosable) {
    if (!properties[name]) throw new CatalogueError(`${file}: disclosable field ${name} is not a property`);
  }
  const publicFields = (meta.publicFields ?? []) as string[];
  for (const name of publicFields) {
    if (!disclosable.has(name)) throw new CatalogueError(`${file}: public field ${name} must also be disclosable`);
  }
  const code = need('code');
  if (!/^[A-Z0-9]{2,8}$/.test(code)) throw new CatalogueError(`${file}: type code ${code} must be 2–8 of A–Z, 0–9`);
  const years = meta.defaultValidityYears;
  const validFromField = meta.validFromField;
  if (validFromField !== undefined && (typeof validFromField !== 'string' || properties[validFromField]?.format !== 'date')) {
    throw new CatalogueError(`${file}: x-licence-type.validFromField must name a date property`);
  }
  return {
    key: need('key'),
    code,
    nameZh: need('nameZh'),
    nameEn: need('nameEn'),
    issuer: need('issuer'),
    holderKind,
    sharingClass: sharingClass as SharingClass,
    defaultValidityYears: typeof years === 'number' ? years : null,
    validFromField: typeof validFromField === 'string' ? validFromField : null,
    fields,
    publicFields,
    schema,
  };
}
