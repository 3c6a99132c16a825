/**
 * The catalogue of error codes (`x-error-codes` in openapi.yaml, rendered at /docs/errors) and the source
 * agree: every code thrown somewhere in src/ is catalogued with the status it is answered with, and every
 * catalogued code is thrown somewhere. Each entry says what it means in Chinese and in English.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { errorCatalogue } from '../../src/operations/docs/error-catalogue.ts';
import { loadOpenApiDocument } from '../../src/http/openapi-document.ts';
import { scanThrownCodes } from './thrown-codes.ts';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

describe('the catalogue of error codes', () => {
  const catalogue = errorCatalogue(loadOpenApiDocument());
  const entries = catalogue.flatMap((group) => group.codes);
  const scan = scanThrownCodes(SRC);

  it('can read every place in src/ that makes a problem code', () => {
    expect(scan.unresolved, 'sites whose code the scan cannot read: make the code a literal, or teach test/docs/thrown-codes.ts the new pattern').to.deep.equal([]);
    // The scan finds what it must: a few codes from each way of making one.
    const found = new Set(scan.codes.map((c) => c.code));
    for (const code of ['REQUEST_INVALID', 'AUTHENTICATION_REQUIRED', 'NO_CONSENT', 'LEDGER_UNAVAILABLE', 'TILE_NOT_FOUND', 'CONSENT_DUPLICATE', 'INVALID_CLIENT']) expect(found, code).to.include(code);
  });

  it('lists every code thrown in src/, with the status it is answered with', () => {
    const catalogued = new Map(entries.map((e) => [e.code, e.statuses]));
    const missing = [...new Set(scan.codes.filter((c) => !catalogued.has(c.code)).map((c) => `${c.code} (${c.status}, ${c.where})`))];
    expect(missing, 'thrown but not in x-error-codes of openapi.yaml').to.deep.equal([]);
    const wrongStatus = scan.codes.filter((c) => !catalogued.get(c.code)!.includes(c.status)).map((c) => `${c.code}: thrown as ${c.status} at ${c.where}, catalogued as ${catalogued.get(c.code)!.join('/')}`);
    expect(wrongStatus).to.deep.equal([]);
  });

  it('names no code that nobody throws, and no status a code is never answered with', () => {
    const thrown = new Map<string, Set<number>>();
    for (const c of scan.codes) thrown.set(c.code, new Set([...(thrown.get(c.code) ?? []), c.status]));
    expect(entries.filter((e) => !thrown.has(e.code)).map((e) => e.code), 'catalogued but thrown nowhere in src/').to.deep.equal([]);
    const unused = entries.flatMap((e) => e.statuses.filter((s) => !thrown.get(e.code)?.has(s)).map((s) => `${e.code} ${s}`));
    expect(unused, 'catalogued with a status the code is never answered with').to.deep.equal([]);
  });

  it('lists each code once, in a group, with its meaning in Chinese and in English', () => {
    const codes = entries.map((e) => e.code);
    expect(codes.filter((c, i) => codes.indexOf(c) !== i), 'listed twice').to.deep.equal([]);
    for (const group of catalogue) {
      expect(group.zh, group.id).to.match(/\p{Script=Han}/u);
      expect(group.en, group.id).to.match(/^[A-Z]/);
    }
    for (const e of entries) {
      expect(e.code).to.match(/^[A-Z][A-Z0-9_]*$/);
      expect(e.zh, e.code).to.match(/\p{Script=Han}/u);
      expect(e.en, e.code).to.match(/^[A-Z0-9]/);
      expect(e.en, `${e.code}: English only`).not.to.match(/[\u4e00-\u9fff]{3}/);
      for (const s of e.statuses) expect(s, e.code).to.be.within(400, 599);
    }
  });
});
