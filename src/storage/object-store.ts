/**
 * ObjectStore port: where signed e-licence PDFs (and later scans) live.
 * Keys are content-addressed by the caller (`licences/sha256/<hex>.pdf`), so a put of the same key
 * with the same bytes is idempotent: retries never duplicate and never corrupt.
 */
export interface StoredObjectInfo {
  key: string;
  size: number;
  contentType: string;
  /** When the object was last written (ISO 8601): how old an unreferenced object is before it is collected. */
  modifiedAt: string;
}

export interface ObjectStore {
  /** Human-readable adapter kind, for /readyz and logs ("local-directory", "s3"). */
  readonly kind: string;
  /** Stores bytes under key. Must be atomic: a reader never sees a partial object. */
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** Returns the bytes, or null when the key does not exist. */
  get(key: string): Promise<Uint8Array | null>;
  /** Returns metadata, or null when the key does not exist. */
  stat(key: string): Promise<StoredObjectInfo | null>;
  delete(key: string): Promise<void>;
  /** Lists keys under a prefix (for audits and tests). */
  list(prefix: string): Promise<string[]>;
  /** Cheap reachability check for /readyz; throws when the store is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Keys are restricted so a caller can never escape the store (no `..`, no absolute paths). */
export const OBJECT_KEY_PATTERN = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

export class InvalidObjectKeyError extends Error {
  readonly code = 'OBJECT_KEY_INVALID';
  constructor(key: string) {
    super(`object key ${JSON.stringify(key)} is not allowed`);
  }
}

export function assertValidObjectKey(key: string): void {
  if (!OBJECT_KEY_PATTERN.test(key) || key.includes('..') || key.length > 512) throw new InvalidObjectKeyError(key);
}
