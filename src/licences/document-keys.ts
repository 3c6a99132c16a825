/**
 * Where a licence PDF lives in the object store: under its SHA-256, so a retry after a crash re-puts the
 * same key, and an object no licence row points at can be recognised and collected (orphan-documents.ts).
 */
export const DOCUMENT_PREFIX = 'licences/sha256/';

const DOCUMENT_KEY = new RegExp(`^${DOCUMENT_PREFIX}([0-9a-f]{64})\\.pdf$`);

export function documentKey(sha256: string): string {
  return `${DOCUMENT_PREFIX}${sha256}.pdf`;
}

/** The SHA-256 a document key names, or null for a key this service does not write. */
export function documentSha256Of(key: string): string | null {
  return DOCUMENT_KEY.exec(key)?.[1] ?? null;
}
