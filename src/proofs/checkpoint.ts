/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint) carried in a C2SP
 * signed note with Ed25519 keys (https://c2sp.org/signed-note), compatible with
 * Go's golang.org/x/mod/sumdb/note and the transparency-dev ecosystem.
 *
 * Checkpoint body:  <origin>\n<tree size decimal>\n<base64 root hash>\n[<extension>\n...]
 * Signed note:      <body>\n— <key name> <base64(4-byte key id || 64-byte Ed25519 sig)>\n...
 *
 * Pure and browser-compatible: no `node:*`, no Buffer, no I/O.
 */
import { base64Decode, base64Encode } from './base64.ts';
import {
  generateNoteKey,
  parseNote,
  parseVerifier,
  signNote,
  verifyNoteSignature,
} from './signed-note.ts';
import type { NoteSignature, NoteSigner, NoteVerifier } from './signed-note.ts';
import { HASH_SIZE } from './merkle.ts';
import { VerificationError } from './verification-error.ts';

export {
  computeKeyId,
  encodeSignerKey,
  encodeVerifierKey,
  formatKeyId,
  isValidKeyName,
  openNote,
  parseNote,
  parseSigner,
  parseVerifier,
  signNote,
} from './signed-note.ts';
export type { NoteSignature, NoteSigner, NoteVerifier, ParsedNote } from './signed-note.ts';
export { base64Decode, base64Encode } from './base64.ts';

/** The signed content of a checkpoint. */
export interface CheckpointBody {
  /** Log identity, e.g. `licence-vault.example/log`. Non-empty, single line. */
  readonly origin: string;
  /** Number of leaves (safe integer). */
  readonly size: number;
  /** 32-byte RFC 6962/9162 Merkle root of the tree at `size`. */
  readonly rootHash: Uint8Array;
}

export interface ParsedCheckpoint extends CheckpointBody {
  /** Opaque extension lines after the root hash (without newlines); preserved, never created. */
  readonly extensions: readonly string[];
  /** Every well-formed signature line in the note, ours and others' (e.g. witness cosignatures). */
  readonly signatures: readonly NoteSignature[];
  /** The exact signed note text (the body including its final newline). */
  readonly body: string;
}

// Why: a log's checkpoint key pair in Go/C2SP skey/vkey string form; the key name SHOULD equal the origin (C2SP tlog-checkpoint "Signatures").
export function generateCheckpointSigner(name: string): { skey: string; vkey: string } {
  return generateNoteKey(name);
}

// Why: the exact body bytes the log signs: origin, decimal size without leading zeros, base64 root (C2SP tlog-checkpoint "Note text").
export function formatCheckpointBody({ origin, size, rootHash }: CheckpointBody): string {
  if (origin.length === 0 || origin.includes('\n')) throw new RangeError('origin must be a non-empty single line');
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size must be a non-negative safe integer, got ${size}`);
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== HASH_SIZE) {
    throw new RangeError(`rootHash must be ${HASH_SIZE} bytes`);
  }
  return `${origin}\n${size}\n${base64Encode(rootHash)}\n`;
}

// Why: produce the full signed note for a tree head (C2SP tlog-checkpoint in a C2SP signed note, Ed25519 over the body text).
export function signCheckpoint(checkpoint: CheckpointBody, signerSkey: string | NoteSigner): string {
  return signNote(formatCheckpointBody(checkpoint), signerSkey);
}

// Why: strict structural parse of a signed checkpoint without trusting it (C2SP tlog-checkpoint "Note text" + signed-note "Format").
export function parseCheckpoint(note: string | Uint8Array): ParsedCheckpoint {
  const { text, signatures } = parseNote(note);
  const lines = text.slice(0, -1).split('\n'); // text always ends with '\n'
  if (lines.length < 3) malformed('checkpoint needs origin, size and root hash lines');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) malformed('checkpoint origin is empty');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) malformed('checkpoint tree size is not a canonical decimal');
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) malformed('checkpoint tree size exceeds 2^53 - 1');
  const rootHash = base64Decode(rootText);
  if (rootHash === undefined || rootHash.length !== HASH_SIZE) {
    malformed(`checkpoint root hash is not base64 of ${HASH_SIZE} bytes`);
  }
  if (extensions.some((l) => l.length === 0)) malformed('checkpoint extension lines must be non-empty');
  return { origin, size, rootHash, extensions, signatures, body: text };
}

export interface VerifyCheckpointOptions {
  /** When set, the checkpoint's origin line must equal this exactly. */
  readonly expectedOrigin?: string;
}

// Why: trust a checkpoint only if a line from the log's key verifies over the body, ignoring witness/other keys (C2SP signed-note "Signatures", tlog-checkpoint).
export function verifyCheckpoint(
  note: string | Uint8Array,
  vkey: string | NoteVerifier,
  options: VerifyCheckpointOptions = {},
): ParsedCheckpoint {
  const verifier = typeof vkey === 'string' ? parseVerifier(vkey) : vkey;
  const parsed = parseCheckpoint(note);
  verifyNoteSignature({ text: parsed.body, signatures: parsed.signatures }, verifier);
  if (options.expectedOrigin !== undefined && parsed.origin !== options.expectedOrigin) {
    throw new VerificationError({
      code: 'CHECKPOINT_ORIGIN_MISMATCH',
      message: `checkpoint origin ${JSON.stringify(parsed.origin)} is not ${JSON.stringify(options.expectedOrigin)}`,
    });
  }
  return parsed;
}

// Why: single throw site for structural checkpoint errors (C2SP tlog-checkpoint "Note text").
function malformed(message: string): never {
  throw new VerificationError({ code: 'CHECKPOINT_MALFORMED', message });
}
