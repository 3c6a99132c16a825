import { expect } from 'chai';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

import {
  base64Decode,
  base64Encode,
  computeKeyId,
  formatCheckpointBody,
  generateCheckpointSigner,
  openNote,
  parseCheckpoint,
  parseNote,
  parseSigner,
  parseVerifier,
  signCheckpoint,
  signNote,
  verifyCheckpoint,
} from './checkpoint.ts';
import { EMPTY_ROOT, hashLeaf } from './merkle.ts';
import { VerificationError } from './verification-error.ts';
import type { VerificationErrorCode } from './verification-error.ts';

// golang.org/x/mod/sumdb/note note_test.go vectors.
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

// A real signed tree head from sum.golang.org (a C2SP checkpoint whose origin is "go.sum database tree"),
// verified against the Go checksum database's published verifier key.
const GO_SUMDB_VKEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
const GO_SUMDB_NOTE =
  'go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n' +
  '\u2014 sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n';

const ORIGIN = 'licence-vault.example/log';
const LOG = generateCheckpointSigner(ORIGIN);
const WITNESS = generateCheckpointSigner('witness.example/w1');
const ROOT = hashLeaf(new TextEncoder().encode('licence #1'));

function expectCode(fn: () => unknown, codes: VerificationErrorCode | VerificationErrorCode[], why: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `${why}: expected a VerificationError`).to.be.instanceOf(VerificationError);
  expect([codes].flat(), why).to.include((thrown as VerificationError).code);
}

describe('transparency/checkpoint: Go sumdb/note interoperability', () => {
  it('parses Go verifier and signer keys; the key id is SHA-256(name || 0x0A || 0x01 || pubkey)[:4]', () => {
    const v = parseVerifier(PETER_VKEY);
    expect(v.name).to.equal('PeterNeumann');
    expect(v.keyId).to.equal(0xc74f20a3);
    expect(v.vkey).to.equal(PETER_VKEY);
    const s = parseSigner(PETER_SKEY);
    expect(bytesToHex(s.publicKey)).to.equal(bytesToHex(v.publicKey));
    expect(s.vkey).to.equal(PETER_VKEY);

    const enc = new TextEncoder();
    const preimage = new Uint8Array([...enc.encode('PeterNeumann'), 0x0a, 0x01, ...v.publicKey]);
    expect(bytesToHex(sha256(preimage).slice(0, 4))).to.equal('c74f20a3');
    expect(computeKeyId('PeterNeumann', v.publicKey)).to.equal(0xc74f20a3);
    expect(parseVerifier(ENOCH_VKEY).keyId).to.equal(0xaf0cfe78);
  });

  it('signing Go\'s example text with Go\'s skey reproduces Go\'s signed note byte for byte', () => {
    expect(signNote(GO_TEXT, PETER_SKEY)).to.equal(`${GO_TEXT}\n${PETER_SIG}`);
  });

  it('verifies Go\'s signed note with Go\'s vkey, ignoring signatures from other keys', () => {
    const note = `${GO_TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    const opened = openNote(note, PETER_VKEY);
    expect(opened.text).to.equal(GO_TEXT);
    expect(opened.signatures.map((s) => [s.name, s.keyId])).to.deep.equal([
      ['PeterNeumann', 0xc74f20a3],
      ['EnochRoot', 0xaf0cfe78],
    ]);
    openNote(note, ENOCH_VKEY);
    openNote(new TextEncoder().encode(note), PETER_VKEY);
    expectCode(() => openNote(`${GO_TEXT}\n${ENOCH_SIG}`, PETER_VKEY), 'CHECKPOINT_KEY_MISMATCH', 'only other keys');
  });

  it('rejects Go\'s corrupted signature and malformed-note vectors', () => {
    const corrupted = PETER_SIG.slice(0, 60) + 'ABCD' + PETER_SIG.slice(60);
    expectCode(() => openNote(`${GO_TEXT}\n${corrupted}`, PETER_VKEY), 'CHECKPOINT_SIGNATURE_INVALID', 'ABCD inserted');
    const enc = new TextEncoder();
    const bad: (string | Uint8Array)[] = [
      GO_TEXT,
      `${GO_TEXT}\n`,
      `${GO_TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\x01${GO_TEXT}\n${PETER_SIG}`,
      new Uint8Array([0xff, ...enc.encode(`${GO_TEXT}\n${PETER_SIG}`)]),
      `${GO_TEXT}\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${GO_TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${GO_TEXT}\n${PETER_SIG.repeat(101)}`,
    ];
    for (const msg of bad) expectCode(() => openNote(msg, PETER_VKEY), 'CHECKPOINT_MALFORMED', JSON.stringify(msg));
  });

  it('rejects every mangling of Go\'s vkey and skey (all substrings, every character bumped)', () => {
    for (const [key, parse] of [
      [PETER_VKEY, parseVerifier],
      [PETER_SKEY, parseSigner],
    ] as const) {
      for (let i = 0; i <= key.length; i++) {
        for (let j = i + 1; j <= key.length; j++) {
          if (i === 0 && j === key.length) continue;
          expectCode(() => parse(key.slice(i, j)), 'CHECKPOINT_KEY_INVALID', `substring ${i}..${j}`);
        }
      }
      for (let i = 0; i < key.length; i++) {
        const bumped = key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1);
        expectCode(() => parse(bumped), 'CHECKPOINT_KEY_INVALID', `bumped ${i}`);
      }
    }
    // Wrong key length with adjusted key hash, unknown algorithm with adjusted key hash (Go's own cases).
    expectCode(
      () => parseVerifier('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='),
      'CHECKPOINT_KEY_INVALID',
      'wrong length',
    );
    expectCode(
      () => parseVerifier('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
      'CHECKPOINT_KEY_INVALID',
      'unknown algorithm',
    );
  });

  it('verifies a real sum.golang.org signed tree head as a checkpoint', () => {
    const cp = verifyCheckpoint(GO_SUMDB_NOTE, GO_SUMDB_VKEY, { expectedOrigin: 'go.sum database tree' });
    expect(cp.origin).to.equal('go.sum database tree');
    expect(cp.size).to.equal(65209736);
    expect(base64Encode(cp.rootHash)).to.equal('5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=');
    expect(cp.extensions).to.deep.equal([]);
    expectCode(
      () => verifyCheckpoint(GO_SUMDB_NOTE.replace('65209736', '65209737'), GO_SUMDB_VKEY),
      'CHECKPOINT_SIGNATURE_INVALID',
      'size changed',
    );
  });
});

describe('transparency/checkpoint: sign / parse / verify', () => {
  it('generated keys have the Go/C2SP string forms and agree with each other', () => {
    expect(LOG.vkey).to.match(/^licence-vault\.example\/log\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect(LOG.skey).to.match(/^PRIVATE\+KEY\+licence-vault\.example\/log\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    const s = parseSigner(LOG.skey);
    const v = parseVerifier(LOG.vkey);
    expect(s.vkey).to.equal(LOG.vkey);
    expect(bytesToHex(ed25519.getPublicKey(s.seed))).to.equal(bytesToHex(v.publicKey));
    expect(LOG.vkey.split('+')[1]).to.equal(computeKeyId(ORIGIN, v.publicKey).toString(16).padStart(8, '0'));
    expect(() => generateCheckpointSigner('bad name')).to.throw(VerificationError);
    expect(() => generateCheckpointSigner('a+b')).to.throw(VerificationError);
  });

  it('round-trips a checkpoint in the exact C2SP wire format', () => {
    const note = signCheckpoint({ origin: ORIGIN, size: 42, rootHash: ROOT }, LOG.skey);
    const lines = note.split('\n');
    expect(lines.slice(0, 4)).to.deep.equal([ORIGIN, '42', base64Encode(ROOT), '']);
    expect(lines[4]).to.match(/^\u2014 licence-vault\.example\/log [A-Za-z0-9+/]{91}=$/);
    expect(lines[5]).to.equal('');
    const sigBytes = base64Decode((lines[4] as string).split(' ')[2] as string) as Uint8Array;
    expect(sigBytes).to.have.length(68);
    expect(bytesToHex(sigBytes.slice(0, 4))).to.equal(LOG.vkey.split('+')[1]);

    const cp = verifyCheckpoint(note, LOG.vkey, { expectedOrigin: ORIGIN });
    expect(cp.origin).to.equal(ORIGIN);
    expect(cp.size).to.equal(42);
    expect(bytesToHex(cp.rootHash)).to.equal(bytesToHex(ROOT));
    expect(cp.extensions).to.deep.equal([]);
    expect(cp.body).to.equal(`${ORIGIN}\n42\n${base64Encode(ROOT)}\n`);
    expect(cp.signatures).to.have.length(1);
    expect(cp.signatures[0]?.signature).to.have.length(64);
    // Same content from bytes.
    expect(verifyCheckpoint(new TextEncoder().encode(note), LOG.vkey).size).to.equal(42);
    // Empty tree.
    const empty = verifyCheckpoint(signCheckpoint({ origin: ORIGIN, size: 0, rootHash: EMPTY_ROOT }, LOG.skey), LOG.vkey);
    expect(empty.size).to.equal(0);
    expect(formatCheckpointBody({ origin: 'o', size: 2 ** 53 - 1, rootHash: EMPTY_ROOT })).to.equal(
      `o\n9007199254740991\n${base64Encode(EMPTY_ROOT)}\n`,
    );
  });

  it('accepts and preserves extension lines; ignores witness cosignature lines', () => {
    const body = `${ORIGIN}\n7\n${base64Encode(ROOT)}\next one\n\u00e9xt two\n`;
    const logNote = signNote(body, LOG.skey);
    const witnessLine = signNote(body, WITNESS.skey).slice(body.length + 1);
    const note = logNote + witnessLine;
    const cp = verifyCheckpoint(note, LOG.vkey);
    expect(cp.extensions).to.deep.equal(['ext one', '\u00e9xt two']);
    expect(cp.signatures.map((s) => s.name)).to.deep.equal([ORIGIN, 'witness.example/w1']);
    expect(verifyCheckpoint(note, WITNESS.vkey).size).to.equal(7);
    // A witness line that does not verify is ignored when checking the log key (it is an unknown key there).
    // Flip a signature byte, not a base64 character: the keys are random, and a changed final character
    // can leave non-canonical base64 that fails as malformed instead of as a bad signature.
    const [dash, name, encoded] = witnessLine.trimEnd().split(' ') as [string, string, string];
    const payload = base64Decode(encoded) as Uint8Array;
    payload[payload.length - 1] = (payload[payload.length - 1] as number) ^ 1;
    const brokenWitness = `${dash} ${name} ${base64Encode(payload)}\n`;
    expect(() => verifyCheckpoint(logNote + brokenWitness, WITNESS.vkey)).to.throw(VerificationError);
    expect(verifyCheckpoint(logNote + brokenWitness, LOG.vkey).size).to.equal(7);
  });

  it('fails with CHECKPOINT_KEY_MISMATCH for a wrong or unrelated vkey', () => {
    const note = signCheckpoint({ origin: ORIGIN, size: 1, rootHash: ROOT }, LOG.skey);
    expectCode(() => verifyCheckpoint(note, WITNESS.vkey), 'CHECKPOINT_KEY_MISMATCH', 'other key');
    const sameName = generateCheckpointSigner(ORIGIN);
    expectCode(() => verifyCheckpoint(note, sameName.vkey), 'CHECKPOINT_KEY_MISMATCH', 'same name, other key');
    expectCode(() => verifyCheckpoint(note, PETER_VKEY), 'CHECKPOINT_KEY_MISMATCH', 'Go key');
    expectCode(() => verifyCheckpoint(note, 'not a key'), 'CHECKPOINT_KEY_INVALID', 'garbage vkey');
  });

  it('fails with CHECKPOINT_SIGNATURE_INVALID when the line names our key but the signature is not ours', () => {
    const body = formatCheckpointBody({ origin: ORIGIN, size: 3, rootHash: ROOT });
    const impostor = ed25519.sign(new TextEncoder().encode(body), ed25519.utils.randomSecretKey());
    const v = parseVerifier(LOG.vkey);
    const payload = new Uint8Array([...hexToBytes(v.keyId.toString(16).padStart(8, '0')), ...impostor]);
    const forged = `${body}\n\u2014 ${ORIGIN} ${base64Encode(payload)}\n`;
    expectCode(() => verifyCheckpoint(forged, LOG.vkey), 'CHECKPOINT_SIGNATURE_INVALID', 'impostor signature');
    // A valid line plus a failing line from the same key rejects the note (C2SP: SHOULD reject).
    const good = signNote(body, LOG.skey);
    expectCode(() => verifyCheckpoint(`${good}\u2014 ${ORIGIN} ${base64Encode(payload)}\n`, LOG.vkey),
      'CHECKPOINT_SIGNATURE_INVALID', 'good + bad line');
  });

  it('fails with CHECKPOINT_ORIGIN_MISMATCH when the origin is not the expected log', () => {
    const note = signCheckpoint({ origin: 'evil.example/log', size: 1, rootHash: ROOT }, LOG.skey);
    expect(verifyCheckpoint(note, LOG.vkey).origin).to.equal('evil.example/log');
    expectCode(() => verifyCheckpoint(note, LOG.vkey, { expectedOrigin: ORIGIN }), 'CHECKPOINT_ORIGIN_MISMATCH', 'origin');
  });

  it('any changed, inserted or deleted character anywhere in the note fails', () => {
    const note = signCheckpoint({ origin: ORIGIN, size: 123456, rootHash: ROOT }, LOG.skey);
    const codes: VerificationErrorCode[] = [
      'CHECKPOINT_SIGNATURE_INVALID',
      'CHECKPOINT_MALFORMED',
      'CHECKPOINT_KEY_MISMATCH', // a changed key name or key id leaves no line for our key
    ];
    let count = 0;
    for (let i = 0; i < note.length; i++) {
      const c = note.charCodeAt(i);
      for (const repl of [String.fromCharCode(c ^ 1), String.fromCharCode(c + 1), 'A']) {
        const mutated = note.slice(0, i) + repl + note.slice(i + 1);
        if (mutated === note) continue;
        expectCode(() => verifyCheckpoint(mutated, LOG.vkey, { expectedOrigin: ORIGIN }), codes, `char ${i} -> ${repl}`);
        count++;
      }
      expectCode(() => verifyCheckpoint(note.slice(0, i) + note.slice(i + 1), LOG.vkey), codes, `delete ${i}`);
      expectCode(() => verifyCheckpoint(note.slice(0, i) + 'x' + note.slice(i), LOG.vkey), codes, `insert at ${i}`);
      count += 2;
    }
    expect(count).to.be.greaterThan(4 * note.length);
  });

  it('random byte flips in the UTF-8 encoding fail (property)', () => {
    const note = new TextEncoder().encode(signCheckpoint({ origin: ORIGIN, size: 9, rootHash: ROOT }, LOG.skey));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: note.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const mutated = note.slice();
        mutated[i] = (mutated[i] as number) ^ x;
        expectCode(
          () => verifyCheckpoint(mutated, LOG.vkey),
          ['CHECKPOINT_SIGNATURE_INVALID', 'CHECKPOINT_MALFORMED', 'CHECKPOINT_KEY_MISMATCH'],
          `byte ${i} ^ ${x}`,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('rejects structurally malformed checkpoints with CHECKPOINT_MALFORMED', () => {
    const root = base64Encode(ROOT);
    const nonCanonicalRoot = root.slice(0, 42) + String.fromCharCode(root.charCodeAt(42) + 1) + '=';
    const bodies = [
      `${ORIGIN}\n42\n`, // too few lines
      `\n42\n${root}\n`, // empty origin
      `${ORIGIN}\n042\n${root}\n`, // leading zero
      `${ORIGIN}\n-1\n${root}\n`,
      `${ORIGIN}\n+1\n${root}\n`,
      `${ORIGIN}\n1.0\n${root}\n`,
      `${ORIGIN}\n \n${root}\n`,
      `${ORIGIN}\n9007199254740992\n${root}\n`, // beyond 2^53 - 1
      `${ORIGIN}\n42\n${base64Encode(ROOT.slice(0, 31))}\n`, // short hash
      `${ORIGIN}\n42\n${root.slice(0, -1)}\n`, // unpadded
      `${ORIGIN}\n42\n${nonCanonicalRoot}\n`, // non-zero padding bits
      `${ORIGIN}\n42\n${root}\next\n\u0007bell\n`, // control character
    ];
    for (const body of bodies) {
      const note = `${body}\n\u2014 x AAAAAAA=\n`;
      expectCode(() => parseCheckpoint(note), 'CHECKPOINT_MALFORMED', JSON.stringify(body));
    }
    // An empty extension line moves the "last blank line" split: the rest is not signature lines.
    const good = signCheckpoint({ origin: ORIGIN, size: 1, rootHash: ROOT }, LOG.skey);
    expectCode(() => parseCheckpoint(good.replace('\n\n', '\n\next\n\n')), 'CHECKPOINT_MALFORMED', 'blank extension');
    expectCode(() => parseCheckpoint(good.replace(/\n$/, '')), 'CHECKPOINT_MALFORMED', 'no final newline');
    expectCode(() => parseCheckpoint(good.replace('\n\n', '\n')), 'CHECKPOINT_MALFORMED', 'no blank line');
    expectCode(() => parseCheckpoint(good.replace('\u2014 ', '- ')), 'CHECKPOINT_MALFORMED', 'ASCII dash');
    expectCode(() => parseCheckpoint(good.replace('\n', '\r\n')), 'CHECKPOINT_MALFORMED', 'CRLF');
    expectCode(() => parseCheckpoint(`${good.slice(0, 5)}\ud800${good.slice(5)}`), 'CHECKPOINT_MALFORMED', 'lone surrogate');
    // Creating checkpoints validates its inputs too.
    expect(() => signCheckpoint({ origin: 'a\nb', size: 1, rootHash: ROOT }, LOG.skey)).to.throw(RangeError);
    expect(() => signCheckpoint({ origin: ORIGIN, size: -1, rootHash: ROOT }, LOG.skey)).to.throw(RangeError);
    expect(() => signCheckpoint({ origin: ORIGIN, size: 1, rootHash: ROOT.slice(1) }, LOG.skey)).to.throw(RangeError);
    expectCode(() => signNote('no newline', LOG.skey), 'CHECKPOINT_MALFORMED', 'sign without newline');
  });

  it('parseNote exposes every well-formed signature line', () => {
    const parsed = parseNote(`${GO_TEXT}\n${PETER_SIG}${ENOCH_SIG}`);
    expect(parsed.signatures).to.have.length(2);
    expect(parsed.signatures[1]?.signature).to.have.length(64);
  });

  it('strict base64 helper matches RFC 4648 test vectors', () => {
    const enc = new TextEncoder();
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, b64] of vectors) {
      expect(base64Encode(enc.encode(plain))).to.equal(b64);
      expect(new TextDecoder().decode(base64Decode(b64))).to.equal(plain);
    }
    for (const bad of ['Zg', 'Zg=', 'Zh==', 'Zm9=', 'Z===', '====', 'Zm9v\n', 'Zm-v', 'Zm9vY===']) {
      expect(base64Decode(bad), bad).to.equal(undefined);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(base64Decode(base64Encode(bytes))).to.deep.equal(bytes);
      }),
      { numRuns: 200 },
    );
  });
});
