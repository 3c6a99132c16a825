import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ManifestItem } from '../../src/digitize/manifest-reader.ts';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lv-digitize-${prefix}-`));
}

export async function collect(items: AsyncIterable<ManifestItem>): Promise<ManifestItem[]> {
  const out: ManifestItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}
