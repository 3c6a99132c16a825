/**
 * Orphaned licence PDFs: objects under `licences/sha256/` that no licence row points at. One appears when
 * the PDF was stored and the database write then failed (an outage, a crash between the two). It is never
 * served, since only rows lead to objects, but it takes space. An object younger than the grace period may
 * belong to an issuance still in flight (stored, row not yet committed), so it is kept; an old candidate is
 * looked up again right before it is deleted.
 */
import type { Database } from '../db/database.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { DOCUMENT_PREFIX, documentSha256Of } from './document-keys.ts';

/** Objects looked up in the database per query (the document hash is indexed). */
const CHUNK = 500;

export interface OrphanSweepOptions {
  /** Objects written less than this long ago are never collected. */
  graceMs: number;
  /** Report what would be deleted, delete nothing. */
  dryRun: boolean;
  now?: () => Date;
  onProgress?: (done: number, total: number) => void;
}

export interface OrphanSweepReport {
  /** Objects under the prefix. */
  scanned: number;
  /** Pointed at by a licence row. */
  referenced: number;
  /** Unreferenced but younger than the grace period. */
  tooYoung: number;
  /** Keys under the prefix that are not a document key this service writes: left alone. */
  unrecognised: number;
  /** Unreferenced and old enough: deleted, or in a dry run, would be. */
  orphans: string[];
  deleted: number;
}

export async function sweepOrphanDocuments(deps: { db: Database; objects: ObjectStore }, options: OrphanSweepOptions): Promise<OrphanSweepReport> {
  const now = options.now ?? (() => new Date());
  const keys = await deps.objects.list(DOCUMENT_PREFIX);
  const report: OrphanSweepReport = { scanned: keys.length, referenced: 0, tooYoung: 0, unrecognised: 0, orphans: [], deleted: 0 };
  const documents = keys.flatMap((key) => {
    const sha256 = documentSha256Of(key);
    if (!sha256) report.unrecognised++;
    return sha256 ? [{ key, sha256 }] : [];
  });
  for (let i = 0; i < documents.length; i += CHUNK) {
    const chunk = documents.slice(i, i + CHUNK);
    const unreferenced = await withoutRows(deps.db, chunk);
    report.referenced += chunk.length - unreferenced.length;
    const old: typeof chunk = [];
    for (const document of unreferenced) {
      const info = await deps.objects.stat(document.key);
      if (!info) continue; // deleted meanwhile
      if (now().getTime() - Date.parse(info.modifiedAt) < options.graceMs) report.tooYoung++;
      else old.push(document);
    }
    // Looked up again: a row committed since the first look keeps its object.
    const orphans = await withoutRows(deps.db, old);
    report.referenced += old.length - orphans.length;
    for (const orphan of orphans) {
      report.orphans.push(orphan.key);
      if (options.dryRun) continue;
      await deps.objects.delete(orphan.key);
      report.deleted++;
    }
    options.onProgress?.(Math.min(i + CHUNK, documents.length), documents.length);
  }
  return report;
}

/** The documents no licence row points at. */
async function withoutRows<T extends { sha256: string }>(db: Database, documents: T[]): Promise<T[]> {
  if (documents.length === 0) return [];
  const rows = await db('licences').whereIn('document_sha256', documents.map((d) => d.sha256)).distinct('document_sha256');
  const referenced = new Set(rows.map((r: { document_sha256: string }) => r.document_sha256));
  return documents.filter((d) => !referenced.has(d.sha256));
}
