import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, stat as fsStat, unlink } from 'node:fs/promises';
import path from 'node:path';

import { assertValidObjectKeyPrefix } from './object-key-prefix.ts';
import { assertValidObjectKey, InvalidObjectKeyError } from './object-store.ts';
import type { ObjectStore, StoredObjectInfo } from './object-store.ts';

/**
 * ObjectStore on a local directory.
 *
 * Layout: the object `a/b/c.pdf` is the plain file `<root>/a/b/c.pdf`; its content type is kept in the
 * sidecar `<root>/a/b/.c.pdf.meta`. Temp files are `<root>/a/b/.c.pdf.<random>.tmp`. Valid key
 * segments never start with a dot, so sidecars and temp files can never collide with a key and are
 * never listed.
 *
 * Atomicity: `put` writes a temp file in the target directory, fsyncs it, renames it over the
 * target and fsyncs the directory, so a reader sees the old object, the new one, or none, never a
 * partial one. The sidecar is written the same way just before the data. Concurrent puts of the
 * same key each use their own temp file; the last rename wins.
 *
 * A content type the key's extension implies (`application/pdf` for `.pdf`, else
 * `application/octet-stream`) needs no sidecar: `stat` infers it, and `put` writes none (and removes an
 * older one). A licence PDF is then one file written and synced instead of two: each fsync costs about
 * 0.3 ms of CPU here, the sidecar's file operations half of what storing a licence cost.
 *
 * Limitation (unlike S3): a key cannot be both an object and a "directory" of other keys
 * (`a` and `a/b`); such a put fails with a clear error.
 */
export const LOCAL_DIRECTORY_STORE_KIND = 'local-directory';

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The content type a key's extension implies, kept without a sidecar. */
function impliedContentType(key: string): string {
  return key.endsWith('.pdf') ? 'application/pdf' : DEFAULT_CONTENT_TYPE;
}

export async function createLocalDirectoryStore(rootDir: string): Promise<ObjectStore> {
  if (!rootDir) throw new Error('local-directory object store: rootDir must not be empty');
  const root = path.resolve(rootDir);
  await mkdir(root, { recursive: true });
  await access(root, fsConstants.R_OK | fsConstants.W_OK);
  return new LocalDirectoryStore(root);
}

function isErrno(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

class LocalDirectoryStore implements ObjectStore {
  readonly kind = LOCAL_DIRECTORY_STORE_KIND;

  /** Directories this store has made or found (a put skips its mkdir there; a failed write makes it again). */
  private readonly knownDirs = new Set<string>();

  constructor(private readonly root: string) {}

  /** Absolute path of the object; the key is validated and the result is checked to stay in root. */
  private pathOf(key: string): string {
    assertValidObjectKey(key);
    const p = path.resolve(this.root, ...key.split('/'));
    if (!p.startsWith(this.root + path.sep)) throw new InvalidObjectKeyError(key);
    return p;
  }

  private static metaPathOf(filePath: string): string {
    return path.join(path.dirname(filePath), `.${path.basename(filePath)}.meta`);
  }

  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    const target = this.pathOf(key);
    const dir = path.dirname(target);
    const known = this.knownDirs.has(dir);
    if (!known) await this.makeDir(key, dir);
    const meta = LocalDirectoryStore.metaPathOf(target);
    try {
      if (contentType === impliedContentType(key)) await removeIfPresent(meta);
      else await writeAtomically(meta, Buffer.from(JSON.stringify({ contentType }), 'utf8'));
      await writeAtomically(target, body);
    } catch (err) {
      if (!known || !isErrno(err, 'ENOENT')) throw err;
      // The directory went away behind the store's back: make it again.
      this.knownDirs.delete(dir);
      return this.put(key, body, contentType);
    }
    await fsyncDir(dir);
  }

  private async makeDir(key: string, dir: string): Promise<void> {
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      if (isErrno(err, 'EEXIST', 'ENOTDIR')) {
        throw new Error(`local-directory object store: cannot store ${JSON.stringify(key)}: a parent of it is an object`, {
          cause: err,
        });
      }
      throw err;
    }
    this.knownDirs.add(dir);
  }

  async get(key: string): Promise<Uint8Array | null> {
    const p = this.pathOf(key);
    try {
      return new Uint8Array(await readFile(p));
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR', 'EISDIR')) return null;
      throw err;
    }
  }

  async stat(key: string): Promise<StoredObjectInfo | null> {
    const p = this.pathOf(key);
    let size: number;
    let modifiedAt: string;
    try {
      const st = await fsStat(p);
      if (!st.isFile()) return null;
      size = st.size;
      modifiedAt = st.mtime.toISOString();
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
      throw err;
    }
    let contentType = impliedContentType(key);
    try {
      const meta: unknown = JSON.parse(await readFile(LocalDirectoryStore.metaPathOf(p), 'utf8'));
      if (typeof meta === 'object' && meta !== null && typeof (meta as { contentType?: unknown }).contentType === 'string') {
        contentType = (meta as { contentType: string }).contentType;
      }
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !(err instanceof SyntaxError)) throw err;
    }
    return { key, size, contentType, modifiedAt };
  }

  async delete(key: string): Promise<void> {
    const p = this.pathOf(key);
    for (const f of [p, LocalDirectoryStore.metaPathOf(p)]) {
      try {
        await unlink(f);
      } catch (err) {
        if (!isErrno(err, 'ENOENT', 'ENOTDIR', 'EISDIR')) throw err;
      }
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidObjectKeyPrefix(prefix);
    // Walk only the deepest directory the prefix fully names.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const keys: string[] = [];
    const walk = async (relDir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(relDir ? path.join(this.root, ...relDir.split('/')) : this.root, { withFileTypes: true });
      } catch (err) {
        if (isErrno(err, 'ENOENT', 'ENOTDIR')) return;
        throw err;
      }
      for (const e of entries) {
        if (e.name.startsWith('.')) continue; // sidecars, temp files
        const key = relDir ? `${relDir}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key);
        } else if (e.isFile() && key.startsWith(prefix)) {
          keys.push(key);
        }
      }
    };
    await walk(dirKey);
    return keys.sort();
  }

  async ping(): Promise<void> {
    await access(this.root, fsConstants.R_OK | fsConstants.W_OK);
  }

  async close(): Promise<void> {
    // Nothing to release.
  }
}

async function writeAtomically(target: string, data: Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(8).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  let renamed = false;
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    renamed = true;
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
}

async function removeIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Directory fsync is not supported everywhere; the data file itself is already synced.
  } finally {
    await fh?.close();
  }
}
