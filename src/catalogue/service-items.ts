/**
 * The catalogue of government service items (政务服务事项): what a requesting department may ask for a
 * holder's licences for. People see an item by its name (the consent request on their phone, the data
 * tracker); machines by its code. Loaded once from `catalogues/service-items.json`; a malformed file stops
 * the service (fail fast), as the licence-type catalogue does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LicenceTypeCatalogue } from './catalogue.ts';

/** `catalogues/service-items.json` at the repository root (the licence types' schemas are in `schemas/`). */
export const DEFAULT_SERVICE_ITEMS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../catalogues/service-items.json');

export interface ServiceItem {
  code: string;
  nameZh: string;
  nameEn: string;
  /** The requesting department the item belongs to (USCC). */
  department: string;
  /** The licence types the item needs, and the fields of them it needs. */
  licenceTypes: string[];
  fields: string[];
}

export class ServiceItemCatalogue {
  private readonly byCode: Map<string, ServiceItem>;

  private constructor(items: ServiceItem[]) {
    this.byCode = new Map(items.map((i) => [i.code, i]));
  }

  static load(types: LicenceTypeCatalogue, file = DEFAULT_SERVICE_ITEMS_FILE): ServiceItemCatalogue {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { items?: unknown };
    if (!Array.isArray(raw.items)) throw new Error(`${file}: "items" must be an array`);
    const items = raw.items.map((item, i) => checkItem(item, i, types, file));
    const codes = new Set<string>();
    for (const item of items) {
      if (codes.has(item.code)) throw new Error(`${file}: service item ${item.code} is listed twice`);
      codes.add(item.code);
    }
    return new ServiceItemCatalogue(items);
  }

  get(code: string): ServiceItem | undefined {
    return this.byCode.get(code);
  }

  list(): ServiceItem[] {
    return [...this.byCode.values()];
  }
}

function checkItem(item: unknown, index: number, types: LicenceTypeCatalogue, file: string): ServiceItem {
  const where = `${file}: items[${index}]`;
  const i = item as Partial<ServiceItem>;
  for (const key of ['code', 'nameZh', 'nameEn', 'department'] as const) {
    if (typeof i[key] !== 'string' || i[key] === '') throw new Error(`${where}.${key} must be a non-empty string`);
  }
  if (!/^[0-9A-Z]{18}-\d{4}$/.test(i.code!)) throw new Error(`${where}.code must be <department USCC>-<4 digits>`);
  if (!Array.isArray(i.licenceTypes) || !Array.isArray(i.fields)) throw new Error(`${where}: licenceTypes and fields must be arrays`);
  for (const key of i.licenceTypes) if (!types.get(key)) throw new Error(`${where}: unknown licence type ${key}`);
  const known = new Set(i.licenceTypes.flatMap((key) => types.get(key)!.fields.map((f) => f.name)));
  for (const field of i.fields) if (!known.has(field)) throw new Error(`${where}: ${field} is not a field of ${i.licenceTypes.join(', ')}`);
  return { code: i.code!, nameZh: i.nameZh!, nameEn: i.nameEn!, department: i.department!, licenceTypes: [...i.licenceTypes], fields: [...i.fields] };
}
