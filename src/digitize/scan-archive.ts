/**
 * Unpacks the scans of an uploaded batch (a zip) into a job directory, safely: plain file names only (no
 * directories, no "..": zip-slip is impossible), bounded entry count and uncompressed size.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

export class ScanArchiveError extends Error {
  readonly code = 'SCAN_ARCHIVE_INVALID';
}

export async function extractScanArchive(zipPath: string, targetDir: string, limits = { maxEntries: 200_000, maxTotalBytes: 8 * 1024 ** 3 }): Promise<number> {
  fs.mkdirSync(targetDir, { recursive: true });
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zipPath, { lazyEntries: true, autoClose: true }, (error, file) => (error ? reject(new ScanArchiveError(`not a readable zip: ${error.message}`)) : resolve(file!))),
  );
  let entries = 0;
  let total = 0;
  return new Promise<number>((resolve, reject) => {
    const fail = (error: Error) => {
      zip.close();
      reject(error instanceof ScanArchiveError ? error : new ScanArchiveError(error.message));
    };
    zip.on('error', fail);
    zip.on('end', () => resolve(entries));
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName.endsWith('/')) return zip.readEntry(); // directories: their files are flattened below
      const name = path.posix.basename(entry.fileName);
      if (!name || name.startsWith('.') || entry.fileName.includes('..') || name.includes('\\')) return fail(new ScanArchiveError(`refused entry name ${JSON.stringify(entry.fileName)}`));
      entries += 1;
      total += entry.uncompressedSize;
      if (entries > limits.maxEntries || total > limits.maxTotalBytes) return fail(new ScanArchiveError('the archive is larger than a batch may be'));
      zip.openReadStream(entry, (error, stream) => {
        if (error) return fail(error);
        pipeline(stream!, fs.createWriteStream(path.join(targetDir, name), { flags: 'wx' }))
          .then(() => zip.readEntry())
          .catch((e: Error) => fail(new ScanArchiveError((e as NodeJS.ErrnoException).code === 'EEXIST' ? `two entries named ${name}` : e.message)));
      });
    });
    zip.readEntry();
  });
}
