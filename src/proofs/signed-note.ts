/**
 * C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys, wire- and
 * key-compatible with Go's golang.org/x/mod/sumdb/note.
 *
 * Pure and browser-compatible: @noble/curves ed25519, @noble/hashes sha256,
 * TextEncoder/TextDecoder, crypto.getRandomValues (via noble) for key generation.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';

import { base64Decode, base64Encode } from './base64.ts';
import { VerificationError } from './verification-error.ts';
import type { VerificationErrorCode } from './verification-error.ts';

/** Signature type byte for Ed25519 note signatures (C2SP signed-note "Signature types"). */
export const ED25519_SIGNATURE_TYPE = 0x01;
/** Upper bound on signature lines we parse (the spec requires accepting at least 16; Go uses 100). */
export const MAX_NOTE_SIGNATURES = 100;

const SIG_PREFIX = '\u2014 '; // EM DASH, SPACE
const encoder = new TextEncoder();

/** One signature line of a note, undecoded beyond its key id. */
export interface NoteSignature {
  /** Key name. */
  readonly name: string;
  /** uint32 key id (first 4 bytes, big-endian). Format with `formatKeyId`. */
  readonly keyId: number;
  /** Signature bytes after the 4-byte key id (64 bytes for Ed25519). */
  readonly signature: Uint8Array;
}

export interface ParsedNote {
  /** The signed text, including its final newline (excluding the separating blank line). */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The canonical vkey string `<name>+<hex id>+<base64(0x01 || pubkey)>`. */
  readonly vkey: string;
}

export interface NoteSigner extends NoteVerifier {
  /** 32-byte Ed25519 seed (RFC 8032 private key). */
  readonly seed: Uint8Array;
}

// Why: key names are identifiers inside `+`-separated keys and space-separated signature lines (C2SP signed-note "Format").
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name) && !hasLoneSurrogate(name);
}

// Why: key id = SHA-256(name || 0x0A || 0x01 || pubkey)[:4] big-endian, identifying key and algorithm (C2SP signed-note "Ed25519 signatures").
export function computeKeyId(name: string, publicKey: Uint8Array): number {
  const nameBytes = encoder.encode(name);
  const buf = new Uint8Array(nameBytes.length + 2 + publicKey.length);
  buf.set(nameBytes, 0);
  buf[nameBytes.length] = 0x0a;
  buf[nameBytes.length + 1] = ED25519_SIGNATURE_TYPE;
  buf.set(publicKey, nameBytes.length + 2);
  const h = sha256(buf);
  return (((h[0] as number) << 24) | ((h[1] as number) << 16) | ((h[2] as number) << 8) | (h[3] as number)) >>> 0;
}

// Why: key ids appear as 8 lowercase hex digits in vkey/skey strings (Go sumdb/note `%08x`).
export function formatKeyId(keyId: number): string {
  return (keyId >>> 0).toString(16).padStart(8, '0');
}

// Why: vkey string `<name>+<hex id>+<base64(0x01 || pubkey)>` as produced by Go note.NewEd25519VerifierKey (C2SP signed-note key ids).
export function encodeVerifierKey(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) keyInvalid(`invalid key name ${JSON.stringify(name)}`);
  if (publicKey.length !== 32) keyInvalid('Ed25519 public key must be 32 bytes');
  return `${name}+${formatKeyId(computeKeyId(name, publicKey))}+${base64Encode(prefixType(publicKey))}`;
}

// Why: fresh Ed25519 key pair in Go's skey/vkey string forms (Go sumdb/note GenerateKey; C2SP signed-note).
export function generateNoteKey(name: string): { skey: string; vkey: string } {
  if (!isValidKeyName(name)) keyInvalid(`invalid key name ${JSON.stringify(name)}`);
  const seed = ed25519.utils.randomSecretKey();
  return encodeSignerKey(name, seed);
}

// Why: skey string `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>` (Go sumdb/note NewSigner format).
export function encodeSignerKey(name: string, seed: Uint8Array): { skey: string; vkey: string } {
  if (!isValidKeyName(name)) keyInvalid(`invalid key name ${JSON.stringify(name)}`);
  if (seed.length !== 32) keyInvalid('Ed25519 seed must be 32 bytes');
  const publicKey = ed25519.getPublicKey(seed);
  const id = formatKeyId(computeKeyId(name, publicKey));
  return {
    skey: `PRIVATE+KEY+${name}+${id}+${base64Encode(prefixType(seed))}`,
    vkey: `${name}+${id}+${base64Encode(prefixType(publicKey))}`,
  };
}

// Why: parse and self-check a vkey; the key id must match the key (Go sumdb/note NewVerifier; C2SP signed-note).
export function parseVerifier(vkey: string): NoteVerifier {
  const [name, hex, rest] = chop2(vkey);
  if (name === undefined || hex === undefined || rest === undefined) keyInvalid('malformed verifier key');
  const keyId = parseHexKeyId(hex);
  const raw = base64Decode(rest);
  if (!isValidKeyName(name) || keyId === undefined || raw === undefined || raw.length === 0) {
    keyInvalid('malformed verifier key');
  }
  if (raw[0] !== ED25519_SIGNATURE_TYPE) keyInvalid('unsupported verifier key algorithm');
  if (raw.length !== 33) keyInvalid('malformed verifier key');
  const publicKey = raw.slice(1);
  if (computeKeyId(name, publicKey) !== keyId) keyInvalid('verifier key id does not match the key');
  return { name, keyId, publicKey, vkey: `${name}+${formatKeyId(keyId)}+${base64Encode(raw)}` };
}

// Why: parse an skey and check its key id against the derived public key (Go sumdb/note NewSigner; C2SP signed-note).
export function parseSigner(skey: string): NoteSigner {
  if (!skey.startsWith('PRIVATE+KEY+')) keyInvalid('malformed signer key');
  const [name, hex, rest] = chop2(skey.slice('PRIVATE+KEY+'.length));
  if (name === undefined || hex === undefined || rest === undefined) keyInvalid('malformed signer key');
  const keyId = parseHexKeyId(hex);
  const raw = base64Decode(rest);
  if (!isValidKeyName(name) || keyId === undefined || raw === undefined || raw.length === 0) {
    keyInvalid('malformed signer key');
  }
  if (raw[0] !== ED25519_SIGNATURE_TYPE) keyInvalid('unsupported signer key algorithm');
  if (raw.length !== 33) keyInvalid('malformed signer key');
  const seed = raw.slice(1);
  const publicKey = ed25519.getPublicKey(seed);
  if (computeKeyId(name, publicKey) !== keyId) keyInvalid('signer key id does not match the key');
  return { name, keyId, publicKey, seed, vkey: encodeVerifierKey(name, publicKey) };
}

// Why: signature line `— <name> base64(keyid || Ed25519(text))` after a blank line; text must end in newline (C2SP signed-note "Format").
export function signNote(text: string, skey: string | NoteSigner): string {
  const signer = typeof skey === 'string' ? parseSigner(skey) : skey;
  if (!text.endsWith('\n')) malformed('note text must end with a newline');
  checkNoteCharacters(text);
  const sig = ed25519.sign(encoder.encode(text), signer.seed);
  const payload = new Uint8Array(4 + sig.length);
  writeUint32(payload, signer.keyId);
  payload.set(sig, 4);
  return `${text}\n${SIG_PREFIX}${signer.name} ${base64Encode(payload)}\n`;
}

// Why: split a note at its last blank line into text and well-formed signature lines, without trusting anything yet (C2SP signed-note "Format").
export function parseNote(note: string | Uint8Array): ParsedNote {
  const msg = typeof note === 'string' ? note : decodeUtf8(note);
  checkNoteCharacters(msg);
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) malformed('note has no blank line before its signatures');
  const text = msg.slice(0, split + 1);
  let sigs = msg.slice(split + 2);
  if (sigs.length === 0 || !sigs.endsWith('\n')) malformed('note signature block must be non-empty and end with a newline');
  const signatures: NoteSignature[] = [];
  while (sigs.length > 0) {
    const nl = sigs.indexOf('\n');
    let line = sigs.slice(0, nl);
    sigs = sigs.slice(nl + 1);
    if (!line.startsWith(SIG_PREFIX)) malformed('note signature line must start with an em dash and a space');
    line = line.slice(SIG_PREFIX.length);
    const sp = line.indexOf(' ');
    const name = sp < 0 ? line : line.slice(0, sp);
    const b64 = sp < 0 ? '' : line.slice(sp + 1);
    const raw = base64Decode(b64);
    if (!isValidKeyName(name) || b64 === '' || raw === undefined || raw.length < 5) {
      malformed('malformed note signature line');
    }
    if (signatures.length >= MAX_NOTE_SIGNATURES) malformed(`note has more than ${MAX_NOTE_SIGNATURES} signatures`);
    signatures.push({ name, keyId: readUint32(raw), signature: raw.slice(4) });
  }
  return { text, signatures };
}

// Why: a note is trusted only if a line from the given key verifies, unknown keys are ignored, and a failing known-key line rejects the note (C2SP signed-note "Signatures").
export function verifyNoteSignature(parsed: ParsedNote, verifier: NoteVerifier): void {
  const mine = parsed.signatures.filter((s) => s.name === verifier.name && s.keyId === verifier.keyId);
  if (mine.length === 0) {
    throw new VerificationError({
      code: 'CHECKPOINT_KEY_MISMATCH',
      message: `note has no signature from key ${verifier.name}+${formatKeyId(verifier.keyId)}`,
    });
  }
  const msg = encoder.encode(parsed.text);
  for (const s of mine) {
    let ok = false;
    if (s.signature.length === 64) {
      try {
        ok = ed25519.verify(s.signature, msg, verifier.publicKey, { zip215: false });
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      throw new VerificationError({
        code: 'CHECKPOINT_SIGNATURE_INVALID',
        message: `invalid signature for key ${verifier.name}+${formatKeyId(verifier.keyId)}`,
      });
    }
  }
}

// Why: parse + verify in one step for arbitrary notes (Go sumdb/note Open with a single known key; C2SP signed-note).
export function openNote(note: string | Uint8Array, vkey: string | NoteVerifier): ParsedNote {
  const verifier = typeof vkey === 'string' ? parseVerifier(vkey) : vkey;
  const parsed = parseNote(note);
  verifyNoteSignature(parsed, verifier);
  return parsed;
}

// ---------------------------------------------------------------------------

// Why: keys are encoded as the signature-type byte followed by the raw key (C2SP signed-note key encoding).
function prefixType(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + key.length);
  out[0] = ED25519_SIGNATURE_TYPE;
  out.set(key, 1);
  return out;
}

// Why: split at the first two '+' only — the base64 tail may contain '+' (Go sumdb/note chop).
function chop2(s: string): [string | undefined, string | undefined, string | undefined] {
  const a = s.indexOf('+');
  if (a < 0) return [undefined, undefined, undefined];
  const b = s.indexOf('+', a + 1);
  if (b < 0) return [undefined, undefined, undefined];
  return [s.slice(0, a), s.slice(a + 1, b), s.slice(b + 1)];
}

// Why: key ids in key strings are exactly 8 hex digits (Go sumdb/note).
function parseHexKeyId(hex: string): number | undefined {
  return /^[0-9a-fA-F]{8}$/.test(hex) ? Number.parseInt(hex, 16) >>> 0 : undefined;
}

// Why: key id is a big-endian uint32 prefix of the signature (C2SP signed-note "Format").
function writeUint32(buf: Uint8Array, v: number): void {
  buf[0] = (v >>> 24) & 255;
  buf[1] = (v >>> 16) & 255;
  buf[2] = (v >>> 8) & 255;
  buf[3] = v & 255;
}

// Why: key id is a big-endian uint32 prefix of the signature (C2SP signed-note "Format").
function readUint32(buf: Uint8Array): number {
  return (((buf[0] as number) << 24) | ((buf[1] as number) << 16) | ((buf[2] as number) << 8) | (buf[3] as number)) >>> 0;
}

// Why: signed notes MUST be valid UTF-8 (C2SP signed-note "Format").
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (cause) {
    throw new VerificationError({ code: 'CHECKPOINT_MALFORMED', message: 'note is not valid UTF-8', cause });
  }
}

// Why: a JS string with lone surrogates has no UTF-8 encoding, so its signed bytes would be ambiguous (C2SP signed-note: valid UTF-8).
function hasLoneSurrogate(s: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

// Why: notes MUST NOT contain ASCII control characters other than newline (C2SP signed-note "Format").
function checkNoteCharacters(s: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(s)) malformed('note contains a control character');
  if (hasLoneSurrogate(s)) malformed('note is not valid UTF-16/UTF-8 text');
}

// Why: single throw site for structural note errors.
function malformed(message: string): never {
  throw new VerificationError({ code: 'CHECKPOINT_MALFORMED', message });
}

// Why: single throw site for unusable key strings.
function keyInvalid(message: string): never {
  const code: VerificationErrorCode = 'CHECKPOINT_KEY_INVALID';
  throw new VerificationError({ code, message });
}
