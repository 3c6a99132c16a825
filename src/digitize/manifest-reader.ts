/**
 * Streaming reader for digitization manifests (CSV or JSONL), see `manifest-format.md`.
 *
 * The file is never read whole: bytes are decoded chunk by chunk (iconv-lite), parsed record by record
 * (csv-parse, or one JSON document per line) and handed out through an async iterator, so the caller's
 * `for await` loop provides the back-pressure and memory stays flat however long the manifest is.
 *
 * Row-level problems never end the iteration: a CSV record whose column count differs from the header, a
 * JSONL line that is not a JSON object, each becomes a `{ rowNumber, parseError }` item and reading goes
 * on. Only a structural CSV error after which no later record can be trusted (an unterminated or
 * malformed quoted field: every later row boundary is in doubt) ends the iteration, with one last item
 * flagged `fatal: true` naming the line; the rows before it have already been handed out.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import type { Readable, Transform } from 'node:stream';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';

export type ManifestFormat = 'csv' | 'jsonl';
export type ManifestEncoding = 'utf8' | 'gb18030' | 'gbk' | 'auto';

export interface ReadManifestOptions {
  /** Defaults by file extension: `.jsonl`/`.ndjson` → jsonl, anything else → csv (required for a stream). */
  format?: ManifestFormat;
  /** Defaults to `auto`: a UTF-8 BOM or valid UTF-8 in the first 64 KiB → utf8, otherwise gb18030. */
  encoding?: ManifestEncoding;
}

export interface ManifestRow {
  /** 1-based data row number: CSV records after the header; for JSONL the line number. */
  rowNumber: number;
  /** Column name (CSV header cell, trimmed) or JSON key → value. */
  raw: Record<string, unknown>;
  /** 1-based physical line where the record starts (differs from rowNumber for CSV with a header or multi-line cells). */
  line: number;
}

export interface ManifestParseError {
  rowNumber: number;
  parseError: string;
  line: number;
  /** True for the last item of a CSV that cannot be parsed beyond this point. */
  fatal?: boolean;
}

export type ManifestItem = ManifestRow | ManifestParseError;

/** A manifest that cannot be read at all (empty file, bad header, unknown encoding). */
export class ManifestError extends Error {
  readonly code = 'MANIFEST_INVALID' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

export function isParseError(item: ManifestItem): item is ManifestParseError {
  return 'parseError' in item;
}

export const SNIFF_BYTES = 64 * 1024;

/** Detected or chosen encoding of a manifest, for progress output. */
export interface ManifestReadInfo {
  format: ManifestFormat;
  encoding: 'utf8' | 'gb18030' | 'gbk';
  bom: boolean;
}

/**
 * Reads a manifest as an async iterable of rows. `info` (when given) is filled in once the encoding has
 * been decided, before the first row is yielded.
 */
export async function* readManifest(
  source: string | Readable,
  options: ReadManifestOptions = {},
  info?: Partial<ManifestReadInfo>,
): AsyncGenerator<ManifestItem, void, undefined> {
  const format = options.format ?? formatFromSource(source);
  const requested = options.encoding ?? 'auto';
  if (!['utf8', 'gb18030', 'gbk', 'auto'].includes(requested)) throw new ManifestError(`unknown encoding ${String(requested)}`);
  const input = typeof source === 'string' ? fs.createReadStream(source, { highWaterMark: 64 * 1024 }) : source;
  try {
    const { stream: bytes, encoding, bom } = await decideEncoding(input, requested);
    if (info) Object.assign(info, { format, encoding, bom });
    const text = bytes.pipe(iconv.decodeStream(encoding, { stripBOM: true }) as unknown as Transform);
    bytes.on('error', (err) => text.destroy(err));
    if (format === 'jsonl') yield* readJsonl(text);
    else yield* readCsv(text);
  } finally {
    if (typeof source === 'string') input.destroy();
  }
}

function formatFromSource(source: string | Readable): ManifestFormat {
  if (typeof source !== 'string') return 'csv';
  const ext = path.extname(source).toLowerCase();
  return ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : 'csv';
}

/**
 * Reads up to SNIFF_BYTES from `input` to decide the encoding, then returns a stream that replays those
 * bytes followed by the rest of `input` (the sniffed prefix is the only thing held in memory).
 */
async function decideEncoding(
  input: Readable,
  requested: ManifestEncoding,
): Promise<{ stream: Readable; encoding: 'utf8' | 'gb18030' | 'gbk'; bom: boolean }> {
  const head: Buffer[] = [];
  let headLength = 0;
  const iterator = input[Symbol.asyncIterator]();
  let done = false;
  while (headLength < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as string);
    head.push(chunk);
    headLength += chunk.length;
  }
  const prefix = Buffer.concat(head);
  const bom = prefix.length >= 3 && prefix[0] === 0xef && prefix[1] === 0xbb && prefix[2] === 0xbf;
  let encoding: 'utf8' | 'gb18030' | 'gbk';
  if (requested !== 'auto') encoding = requested;
  else if (bom) encoding = 'utf8';
  else encoding = isValidUtf8Prefix(prefix, done) ? 'utf8' : 'gb18030';

  const out = new PassThrough({ highWaterMark: 64 * 1024 });
  void (async () => {
    try {
      if (!out.write(prefix)) await onceDrain(out);
      if (!done) {
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as string);
          if (!out.write(chunk)) await onceDrain(out);
          if (out.destroyed) break;
        }
      }
      out.end();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  out.on('close', () => {
    if (!done) void iterator.return?.();
  });
  return { stream: out, encoding, bom };
}

function onceDrain(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const finish = (): void => {
      stream.off('drain', finish);
      stream.off('close', finish);
      resolve();
    };
    stream.on('drain', finish);
    stream.on('close', finish);
  });
}

/** Whether `bytes` is valid UTF-8; an incomplete sequence at the very end is fine unless the file ends there. */
export function isValidUtf8Prefix(bytes: Uint8Array, isWholeFile: boolean): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !isWholeFile });
    return true;
  } catch {
    return false;
  }
}

async function* readJsonl(text: Readable): AsyncGenerator<ManifestItem, void, undefined> {
  const lines = readline.createInterface({ input: text, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        yield { rowNumber: lineNumber, line: lineNumber, parseError: `line ${lineNumber} is not valid JSON: ${(err as Error).message}` };
        continue;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        yield { rowNumber: lineNumber, line: lineNumber, parseError: `line ${lineNumber} is not a JSON object` };
        continue;
      }
      yield { rowNumber: lineNumber, line: lineNumber, raw: value as Record<string, unknown> };
    }
  } finally {
    lines.close();
    text.destroy();
  }
}

interface CsvRecordWithRaw {
  record: string[];
  raw: string;
}

type CsvEvent = { kind: 'record'; value: CsvRecordWithRaw } | { kind: 'error'; error: Error } | { kind: 'end' };

/**
 * csv-parse's records and errors as one ordered queue. (Iterating the parser with `for await` would drop
 * records still buffered when a later error destroys the stream.) Pauses the parser while the consumer
 * lags, so memory stays bounded.
 */
async function* csvEvents(text: Readable): AsyncGenerator<CsvEvent, void, undefined> {
  const parser = parse({
    relax_column_count: true, // a ragged row becomes a parse-error item instead of ending the stream
    relax_quotes: true, // a stray quote inside an unquoted cell (5" 照片) is taken literally
    bom: true,
    raw: true, // to count physical lines ourselves (csv-parse counts CRLF inside quotes twice)
  });
  const queue: CsvEvent[] = [];
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  parser.on('data', (value: CsvRecordWithRaw) => {
    queue.push({ kind: 'record', value });
    if (queue.length >= 256) parser.pause();
    notify();
  });
  parser.on('error', (error: Error) => {
    queue.push({ kind: 'error', error });
    notify();
  });
  parser.on('end', () => {
    queue.push({ kind: 'end' });
    notify();
  });
  text.on('error', (err) => parser.destroy(err));
  text.pipe(parser);
  try {
    for (;;) {
      if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const event = queue.shift()!;
      if (queue.length < 64 && parser.isPaused()) parser.resume();
      yield event;
      if (event.kind !== 'record') return;
    }
  } finally {
    text.unpipe(parser);
    parser.destroy();
    text.destroy();
  }
}

async function* readCsv(text: Readable): AsyncGenerator<ManifestItem, void, undefined> {
  let header: string[] | null = null;
  let rowNumber = 0;
  let nextLine = 1;
  for await (const event of csvEvents(text)) {
    if (event.kind === 'end') break;
    if (event.kind === 'error') {
      const e = event.error as Error & { code?: string };
      if (typeof e.code === 'string' && e.code.startsWith('CSV_') && header !== null) {
        yield {
          rowNumber: rowNumber + 1,
          line: nextLine,
          fatal: true,
          parseError: `the CSV cannot be parsed from line ${nextLine} on (${e.code}): ${e.message.replace(/ at line \d+/, '')}; no later row was read`,
        };
        return;
      }
      throw e.code?.startsWith('CSV_') ? new ManifestError(`the header row cannot be parsed: ${e.message}`) : e;
    }
    const { record, raw } = event.value;
    const line = nextLine;
    nextLine += (raw.match(/\r\n|\r|\n/g) ?? []).length;
    if (record.length === 1 && record[0]!.trim() === '') continue; // blank line
    if (header === null) {
      header = checkHeader(record);
      continue;
    }
    rowNumber++;
    if (record.length !== header.length) {
      yield {
        rowNumber,
        line,
        parseError: `row ${rowNumber} (line ${line}) has ${record.length} columns, the header has ${header.length}`,
      };
      continue;
    }
    const row: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) row[header[i]!] = record[i] ?? '';
    yield { rowNumber, line, raw: row };
  }
  if (header === null) throw new ManifestError('the manifest is empty: no header row');
}

function checkHeader(record: string[]): string[] {
  const header = record.map((c) => c.replace(/^\uFEFF/, '').trim());
  const seen = new Set<string>();
  for (const name of header) {
    if (name === '') throw new ManifestError('the header row has an empty column name');
    if (seen.has(name)) throw new ManifestError(`the header row names column ${JSON.stringify(name)} twice`);
    seen.add(name);
  }
  return header;
}
