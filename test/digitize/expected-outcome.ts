/**
 * What a digitization job run by one department must end with, for a generated messy manifest: the rows
 * the generator calls good (first occurrence of a source record, every check passed) split by whether the
 * department issues their type (issued) or not (WRONG_ISSUER). Found by reading the manifest the way the
 * pipeline does (normaliser, first occurrence wins), and checked against the generator's own counts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LicenceTypeCatalogue } from '../../src/catalogue/catalogue.ts';
import { RepeatTracker } from '../../src/digitize/digitize-pipeline.ts';
import { isParseError, readManifest } from '../../src/digitize/manifest-reader.ts';
import { normaliseRow } from '../../src/digitize/row-normaliser.ts';
import type { GeneratedManifest } from './messy-manifest-generator.ts';

export interface DepartmentOutcome {
  /** `system/record` of every row the department issues, once each. */
  issuedKeys: string[];
  /** Row numbers of rows of types another department issues (refused before their scans are read). */
  wrongIssuerRows: number[];
  /** Error report lines per code (CONFLICT included), as the job's summary counts them. */
  rejected: Record<string, number>;
}

export async function expectedOutcome(generated: GeneratedManifest, department: string): Promise<DepartmentOutcome> {
  const catalogue = LicenceTypeCatalogue.load();
  const tracker = new RepeatTracker();
  const issuedKeys: string[] = [];
  const wrongIssuerRows: number[] = [];
  let good = 0;
  let corruptOwn = 0;
  for await (const item of readManifest(generated.manifestPath)) {
    const injected = generated.rejectedRows.get(item.rowNumber);
    if (isParseError(item) || (injected && injected !== 'CORRUPT_SCAN')) continue;
    const normalised = normaliseRow(item.raw, { catalogue, missingGlyphs: () => [], scanExists: (name) => fs.existsSync(path.join(generated.scansDir, name)) });
    if (!normalised.ok || tracker.verdict(normalised.row) !== null) continue;
    const own = catalogue.get(normalised.row.typeKey)!.issuer === department;
    if (!own) wrongIssuerRows.push(item.rowNumber); // refused before its scans are read, corrupt or not
    else if (injected === 'CORRUPT_SCAN') corruptOwn += 1;
    else issuedKeys.push(`${normalised.row.sourceSystem}/${normalised.row.sourceRecordId}`);
    if (!injected) good += 1;
  }
  if (good !== generated.expected.issued) throw new Error(`the manifest reads as ${good} good rows, the generator says ${generated.expected.issued}`);
  const { CORRUPT_SCAN: _corrupt, ...normaliserRejected } = generated.expected.rejected;
  const rejected: Record<string, number> = { ...normaliserRejected };
  if (corruptOwn > 0) rejected.CORRUPT_SCAN = corruptOwn;
  if (wrongIssuerRows.length > 0) rejected.WRONG_ISSUER = wrongIssuerRows.length;
  if (generated.expected.conflicts > 0) rejected.CONFLICT = generated.expected.conflicts;
  return { issuedKeys, wrongIssuerRows, rejected };
}
