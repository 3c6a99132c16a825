import { expect } from 'chai';

import { extractSignature, signPdfPades } from '../pdf/pades.ts';
import { base64Encode, generateCheckpointSigner, signCheckpoint } from '../proofs/checkpoint.ts';
import { consistencyProofSpan, verifyLicence } from './licence-verifier.ts';
import type { CheckName, CheckOutcome, LedgerFacts, Receipt, VerificationReport } from './licence-verifier.ts';
import { extractPdfSignature, parsePdfDate } from './pdf-signature.ts';
import { ORIGIN, buildLog, leafFor, makeFixtures, pemToDer, sha256Hex } from '../../test/support/verification-fixtures.ts';
import type { Fixtures } from '../../test/support/verification-fixtures.ts';

const ALL: CheckName[] = ['signature', 'issuer', 'documentHash', 'inclusion', 'checkpoint', 'anchor', 'status'];

function check(report: VerificationReport, name: CheckName): CheckOutcome {
  const c = report.checks.find((x) => x.check === name);
  if (!c) throw new Error(`no ${name} check in report`);
  return c;
}

function expectPass(report: VerificationReport, ...names: CheckName[]): void {
  for (const n of names) expect(check(report, n), n).to.include({ ok: true });
}

function expectFail(report: VerificationReport, name: CheckName, code: string): void {
  const c = check(report, name);
  expect(c, `${name}: ${c.detail}`).to.include({ ok: false, code });
}

function expectNotRun(report: VerificationReport, name: CheckName, detail?: RegExp): void {
  const c = check(report, name);
  expect(c.ok, `${name}: ${c.detail}`).to.equal(null);
  if (detail) expect(c.detail).to.match(detail);
}

describe('verify: verifyLicence', function () {
  this.timeout(60000);
  let f: Fixtures;

  before(async function () {
    f = await makeFixtures();
  });

  describe('happy path', function () {
    it('passes all seven checks for a genuine, logged, anchored, active licence', async function () {
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, f.ledger);
      expect(r.checks.map((c) => c.check)).to.deep.equal(ALL);
      for (const c of r.checks) expect(c.ok, `${c.check}: ${c.detail}`).to.equal(true);
      expect(r.ok).to.equal(true);
      expect(r.complete).to.equal(true);
      expect(r.licenceId).to.equal(f.licenceId);
      expect(r.documentSha256).to.equal(sha256Hex(f.pdf));
    });

    it('reports the signer identity and the /M signing time', async function () {
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, f.ledger);
      expect(r.signer?.subject).to.equal(
        'CN=福州市市场监督管理局电子证照签章,organizationIdentifier=NTRCN-11350100MB0123456X,O=福州市市场监督管理局,C=CN',
      );
      expect(r.signer?.organizationIdentifier).to.equal('NTRCN-11350100MB0123456X');
      expect(r.signer?.signingTime).to.equal(f.signingTime.toISOString());
    });

    it("accepts an anchor at a later checkpoint when a consistency proof shows the receipt's tree is its prefix", async function () {
      const later = buildLog([...f.log.leaves, 'a', 'b', 'c']);
      const ledger: LedgerFacts = {
        ...f.ledger,
        anchoredCheckpoint: { origin: ORIGIN, size: later.size, rootHashBase64: base64Encode(later.root) },
        consistencyProof: later.consistency(f.log.size),
      };
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, ledger);
      expectPass(r, ...ALL);
      expect(check(r, 'anchor').detail).to.match(/consistency proof shows the receipt's tree is a prefix of the anchored one/);
      expect(r.ok).to.equal(true);
    });

    it('asks for a consistency proof only from a smaller receipt tree to a larger anchored one', function () {
      expect(consistencyProofSpan(5, { size: 9 })).to.deep.equal({ first: 5, second: 9 });
      for (const [size, anchored] of [[9, { size: 9 }], [10, { size: 9 }], [5, null], [0, { size: 9 }], [2.5, { size: 9 }], ['5', { size: 9 }], [undefined, { size: 9 }]] as const) {
        expect(consistencyProofSpan(size, anchored), `${String(size)} → ${JSON.stringify(anchored)}`).to.equal(null);
      }
    });

    it('refuses a later anchor without a consistency proof, or with one for another tree (a fork signed by the log key)', async function () {
      const later = buildLog([...f.log.leaves, 'a', 'b', 'c']);
      const anchoredCheckpoint = { origin: ORIGIN, size: later.size, rootHashBase64: base64Encode(later.root) };
      expectFail(await verifyLicence(f.pdf, f.receipt, f.trust, { ...f.ledger, anchoredCheckpoint }), 'anchor', 'CHECKPOINT_NOT_ANCHORED');
      // The operator's fork: the receipt's tree is not a prefix of what the ledger anchors, whatever proof it sends.
      const anchoredFork = buildLog([...f.log.leaves.slice(0, -1), 'forged', 'a', 'b', 'c']);
      const fork = { origin: ORIGIN, size: anchoredFork.size, rootHashBase64: base64Encode(anchoredFork.root) };
      for (const consistencyProof of [anchoredFork.consistency(f.log.size), later.consistency(f.log.size), ['not base64!']]) {
        const r = await verifyLicence(f.pdf, f.receipt, f.trust, { ...f.ledger, anchoredCheckpoint: fork, consistencyProof });
        expectFail(r, 'anchor', 'CHECKPOINT_NOT_ANCHORED');
        expect(r.ok).to.equal(false);
      }
    });

    it('treats a superseded licence as ok (validly issued, a newer version exists)', async function () {
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, {
        ...f.ledger,
        licenceStatus: { status: 'superseded', changedAt: '2025-01-01T00:00:00Z' },
      });
      expectPass(r, 'status');
      expect(check(r, 'status').detail).to.match(/superseded by a newer version/);
      expect(r.ok).to.equal(true);
    });

    it('agrees with src/pdf/pades.ts extractSignature on ByteRange, CMS and signed bytes', function () {
      const mine = extractPdfSignature(f.pdf);
      const theirs = extractSignature(f.pdf);
      expect([...mine.byteRange]).to.deep.equal(theirs.byteRange);
      expect(Buffer.from(mine.cmsDer).equals(Buffer.from(theirs.cmsDer))).to.equal(true);
      expect(Buffer.from(mine.signedBytes).equals(Buffer.from(theirs.signedBytes))).to.equal(true);
      expect(mine.signingTime?.toISOString()).to.equal(f.signingTime.toISOString());
    });
  });

  describe('offline and partial verification', function () {
    it('offline: anchor and status are not run; the rest is still verified', async function () {
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, null);
      expectPass(r, 'signature', 'issuer', 'documentHash', 'inclusion', 'checkpoint');
      expectNotRun(r, 'anchor', /^offline: not checked$/);
      expectNotRun(r, 'status', /^offline: not checked$/);
      expect(r.ok).to.equal(true);
      expect(r.complete).to.equal(false);
    });

    it("no receipt: a ledger status looked up for some licence id is not this PDF's, so status is not checked", async function () {
      for (const licenceStatus of [null, { status: 'active' as const, changedAt: '2026-01-01T00:00:00.000Z' }]) {
        const r = await verifyLicence(f.pdf, null, f.trust, { ...f.ledger, licenceStatus });
        expectPass(r, 'signature', 'issuer');
        for (const n of ['documentHash', 'inclusion', 'checkpoint', 'anchor', 'status'] as const) expectNotRun(r, n);
        expect(r.complete).to.equal(false);
      }
    });

    it('no receipt: only the PDF signature and issuer are verified', async function () {
      const r = await verifyLicence(f.pdf, null, f.trust, null);
      expectPass(r, 'signature', 'issuer');
      for (const n of ['documentHash', 'inclusion', 'checkpoint', 'anchor', 'status'] as const) expectNotRun(r, n);
      expect(r.ok).to.equal(true);
      expect(r.complete).to.equal(false);
      expect(r.licenceId).to.equal(null);
    });

    it('ledger without a status record but an anchored issuance: in force (the ledger records changes only)', async function () {
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, { ...f.ledger, licenceStatus: null });
      const status = r.checks.find((c) => c.check === 'status');
      expect(status).to.include({ ok: true });
      expect(status?.detail).to.match(/no suspension, revocation/);
      expect(r.ok).to.equal(true);
      expect(r.complete).to.equal(true);
    });

    it('ledger without a status record and no anchor: status not run', async function () {
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, { anchoredCheckpoint: null, licenceStatus: null });
      expectNotRun(r, 'status', /no status record/);
      expect(r.ok).to.equal(false); // the anchor check failed
    });
  });

  describe('signature', function () {
    it('a byte changed inside the signed range fails the signature AND the document hash', async function () {
      const tampered = f.pdf.slice();
      const { byteRange } = extractPdfSignature(f.pdf);
      const pos = Math.floor((byteRange[1] as number) / 2);
      tampered[pos] = (tampered[pos] as number) ^ 0x01;
      const r = await verifyLicence(tampered, f.receipt, f.trust, f.ledger);
      expectFail(r, 'signature', 'SIGNATURE_INVALID');
      expect(check(r, 'signature').detail).to.match(/message-digest/);
      expectFail(r, 'documentHash', 'DOCUMENT_HASH_MISMATCH');
      expectPass(r, 'issuer', 'inclusion', 'checkpoint', 'anchor', 'status');
      expect(r.ok).to.equal(false);
      expect(r.signer).to.equal(undefined);
    });

    it('a changed RSA signature inside /Contents fails the signature', async function () {
      const { byteRange, cmsDer } = extractPdfSignature(f.pdf);
      const tampered = f.pdf.slice();
      // The SignerInfo signature is the last element of the CMS: flip a hex digit 10 bytes from its end.
      const hexPos = (byteRange[1] as number) + 1 + (cmsDer.length - 10) * 2;
      tampered[hexPos] = tampered[hexPos] === 0x30 ? 0x31 : 0x30;
      const r = await verifyLicence(tampered, f.receipt, f.trust, f.ledger);
      expectFail(r, 'signature', 'SIGNATURE_INVALID');
      expect(check(r, 'signature').detail).to.match(/does not verify with the signer certificate key/);
      expectPass(r, 'issuer');
      expect(r.ok).to.equal(false);
    });

    it('bytes appended after signing (incremental update) fail the signature', async function () {
      const extra = new TextEncoder().encode('\n% appended after signing\n');
      const appended = new Uint8Array(f.pdf.length + extra.length);
      appended.set(f.pdf);
      appended.set(extra, f.pdf.length);
      const r = await verifyLicence(appended, null, f.trust, null);
      expectFail(r, 'signature', 'SIGNATURE_INVALID');
      expect(check(r, 'signature').detail).to.match(/does not cover the whole file/);
      expectNotRun(r, 'issuer');
    });

    it('an unsigned PDF is PDF_MALFORMED and nothing else can be established', async function () {
      const r = await verifyLicence(f.unsignedPdf, null, f.trust, null);
      expectFail(r, 'signature', 'PDF_MALFORMED');
      expectNotRun(r, 'issuer');
      expect(r.ok).to.equal(false);
    });

    it('garbage input never throws', async function () {
      for (const bytes of [new Uint8Array(0), new TextEncoder().encode('hello'), new TextEncoder().encode('%PDF-1.7\n/ByteRange [0 1 2')]) {
        const r = await verifyLicence(bytes, null, f.trust, null);
        expect(check(r, 'signature').ok).to.equal(false);
        expect(r.ok).to.equal(false);
      }
    });
  });

  describe('issuer', function () {
    it('a PDF signed under another CA is CERT_UNTRUSTED (its signature itself verifies)', async function () {
      const r = await verifyLicence(f.otherPdf, null, f.trust, null);
      expectPass(r, 'signature');
      expectFail(r, 'issuer', 'CERT_UNTRUSTED');
      expect(check(r, 'issuer').detail).to.match(/Rogue CA/);
      expect(r.ok).to.equal(false);
    });

    it('the same PDF passes once its CA is trusted too', async function () {
      const trust = { ...f.trust, issuerCaCertsDer: [pemToDer(f.ca.certPem), pemToDer(f.otherCa.certPem)] };
      const r = await verifyLicence(f.otherPdf, null, trust, null);
      expectPass(r, 'signature', 'issuer');
      expect(r.ok).to.equal(true);
    });

    it('no trusted CA at all is CERT_UNTRUSTED', async function () {
      const r = await verifyLicence(f.pdf, null, { ...f.trust, issuerCaCertsDer: [] }, null);
      expectFail(r, 'issuer', 'CERT_UNTRUSTED');
    });

    it('a trusted certificate without cA (the signer cert itself) is not accepted as issuer', async function () {
      const r = await verifyLicence(f.pdf, null, { ...f.trust, issuerCaCertsDer: [pemToDer(f.signer.certPem)] }, null);
      expectFail(r, 'issuer', 'CERT_UNTRUSTED');
    });

    it('a /M signing time outside the signer certificate validity is CERT_UNTRUSTED', async function () {
      const late = await signPdfPades(f.unsignedPdf, f.signer, { signingTime: new Date('2099-01-01T00:00:00Z') });
      const r = await verifyLicence(late, null, f.trust, null);
      expectPass(r, 'signature');
      expectFail(r, 'issuer', 'CERT_UNTRUSTED');
      expect(check(r, 'issuer').detail).to.match(/expired/);
    });
  });

  describe('receipt: document hash and inclusion', function () {
    it('a receipt for another licence fails the document hash', async function () {
      const other: Receipt = {
        ...f.receipt,
        licenceId: 'LV-2024-3501-000100',
        leafIndex: 0,
        leafData: f.log.leaves[0] as string,
        inclusionProof: f.log.proof(0),
      };
      const r = await verifyLicence(f.pdf, other, f.trust, f.ledger);
      expectFail(r, 'documentHash', 'DOCUMENT_HASH_MISMATCH');
      expectPass(r, 'signature', 'issuer', 'inclusion', 'checkpoint', 'anchor');
      expect(r.ok).to.equal(false);
    });

    it('receipt.licenceId differing from the leaf licenceId is RECEIPT_MALFORMED', async function () {
      const r = await verifyLicence(f.pdf, { ...f.receipt, licenceId: 'LV-2024-3501-000999' }, f.trust, f.ledger);
      expectFail(r, 'inclusion', 'RECEIPT_MALFORMED');
      expect(r.ok).to.equal(false);
    });

    it('a corrupted proof hash is INCLUSION_PROOF_INVALID', async function () {
      const proof = [...f.receipt.inclusionProof];
      const first = Buffer.from(proof[0] as string, 'base64');
      first[0] = (first[0] as number) ^ 0xff;
      proof[0] = first.toString('base64');
      const r = await verifyLicence(f.pdf, { ...f.receipt, inclusionProof: proof }, f.trust, f.ledger);
      expectFail(r, 'inclusion', 'INCLUSION_PROOF_INVALID');
      expectPass(r, 'signature', 'issuer', 'documentHash', 'checkpoint', 'anchor', 'status');
      expect(r.ok).to.equal(false);
    });

    it('the right proof at the wrong index, or a truncated proof, is INCLUSION_PROOF_INVALID', async function () {
      const wrongIndex = await verifyLicence(f.pdf, { ...f.receipt, leafIndex: 3 }, f.trust, f.ledger);
      expectFail(wrongIndex, 'inclusion', 'INCLUSION_PROOF_INVALID');
      const truncated = await verifyLicence(
        f.pdf,
        { ...f.receipt, inclusionProof: f.receipt.inclusionProof.slice(1) },
        f.trust,
        f.ledger,
      );
      expectFail(truncated, 'inclusion', 'INCLUSION_PROOF_INVALID');
    });

    it('a treeSize different from the checkpoint size is INCLUSION_PROOF_INVALID', async function () {
      const r = await verifyLicence(f.pdf, { ...f.receipt, treeSize: f.receipt.treeSize + 1 }, f.trust, f.ledger);
      expectFail(r, 'inclusion', 'INCLUSION_PROOF_INVALID');
      expect(check(r, 'inclusion').detail).to.match(/checkpoint size/);
    });

    it('a structurally malformed receipt is RECEIPT_MALFORMED and never throws', async function () {
      const bad = { ...f.receipt, inclusionProof: 'nope' } as unknown as Receipt;
      const r = await verifyLicence(f.pdf, bad, f.trust, f.ledger);
      expectFail(r, 'documentHash', 'RECEIPT_MALFORMED');
      expectNotRun(r, 'inclusion', /receipt is malformed/);
      expectNotRun(r, 'checkpoint');
      expectNotRun(r, 'status'); // the malformed receipt ties the PDF to no licence
      expectPass(r, 'signature', 'issuer');
      expect(r.licenceId).to.equal(null);
      expect(r.ok).to.equal(false);
    });
  });

  describe('checkpoint', function () {
    it('a checkpoint signed by another key is CHECKPOINT_SIGNATURE_INVALID', async function () {
      const rogue = generateCheckpointSigner(ORIGIN);
      const note = signCheckpoint({ origin: ORIGIN, size: f.log.size, rootHash: f.log.root }, rogue.skey);
      const r = await verifyLicence(f.pdf, { ...f.receipt, checkpoint: note }, f.trust, f.ledger);
      expectFail(r, 'checkpoint', 'CHECKPOINT_SIGNATURE_INVALID');
      expectPass(r, 'signature', 'issuer', 'documentHash', 'inclusion', 'anchor', 'status');
      expect(r.ok).to.equal(false);
    });

    it('a checkpoint for another origin is CHECKPOINT_SIGNATURE_INVALID', async function () {
      const r = await verifyLicence(f.pdf, f.receipt, { ...f.trust, logOrigin: 'someone-else.example/log' }, f.ledger);
      expectFail(r, 'checkpoint', 'CHECKPOINT_SIGNATURE_INVALID');
      expect(check(r, 'checkpoint').detail).to.match(/ORIGIN_MISMATCH/);
    });

    it('a self-consistent forged log (rogue key, extra leaf) fails only at the checkpoint and anchor', async function () {
      const extraLeaves = [...f.log.leaves, leafFor('LV-X', sha256Hex(new Uint8Array([1])))];
      const forged = buildLog(extraLeaves, ORIGIN, generateCheckpointSigner(ORIGIN));
      const r = await verifyLicence(
        f.pdf,
        { ...f.receipt, treeSize: forged.size, inclusionProof: forged.proof(f.index), checkpoint: forged.checkpoint },
        f.trust,
        f.ledger, // anchors the genuine size-5 tree
      );
      expectPass(r, 'signature', 'issuer', 'documentHash', 'inclusion', 'status');
      expectFail(r, 'checkpoint', 'CHECKPOINT_SIGNATURE_INVALID');
      expectFail(r, 'anchor', 'CHECKPOINT_NOT_ANCHORED');
    });
  });

  describe('anchor', function () {
    it('no anchored checkpoint on the ledger is CHECKPOINT_NOT_ANCHORED', async function () {
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, { ...f.ledger, anchoredCheckpoint: null });
      expectFail(r, 'anchor', 'CHECKPOINT_NOT_ANCHORED');
      expect(r.ok).to.equal(false);
    });

    it('a smaller anchored checkpoint is CHECKPOINT_NOT_ANCHORED', async function () {
      const smaller = buildLog(f.log.leaves.slice(0, 3));
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, {
        ...f.ledger,
        anchoredCheckpoint: { origin: ORIGIN, size: smaller.size, rootHashBase64: base64Encode(smaller.root) },
      });
      expectFail(r, 'anchor', 'CHECKPOINT_NOT_ANCHORED');
    });

    it('the same size with a different root (split view) is CHECKPOINT_NOT_ANCHORED', async function () {
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, {
        ...f.ledger,
        anchoredCheckpoint: { origin: ORIGIN, size: f.log.size, rootHashBase64: base64Encode(new Uint8Array(32).fill(7)) },
      });
      expectFail(r, 'anchor', 'CHECKPOINT_NOT_ANCHORED');
      expect(check(r, 'anchor').detail).to.match(/different root/);
    });

    it('an anchor for another origin is CHECKPOINT_NOT_ANCHORED', async function () {
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, {
        ...f.ledger,
        anchoredCheckpoint: { ...(f.ledger.anchoredCheckpoint as NonNullable<LedgerFacts['anchoredCheckpoint']>), origin: 'other/log' },
      });
      expectFail(r, 'anchor', 'CHECKPOINT_NOT_ANCHORED');
    });
  });

  describe('status', function () {
    it('revoked is LICENCE_REVOKED', async function () {
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, {
        ...f.ledger,
        licenceStatus: { status: 'revoked', changedAt: '2025-01-01T00:00:00Z' },
      });
      expectFail(r, 'status', 'LICENCE_REVOKED');
      expectPass(r, 'signature', 'issuer', 'documentHash', 'inclusion', 'checkpoint', 'anchor');
      expect(r.ok).to.equal(false);
      expect(r.complete).to.equal(true);
    });

    it('suspended is LICENCE_SUSPENDED', async function () {
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, {
        ...f.ledger,
        licenceStatus: { status: 'suspended', changedAt: '2025-01-01T00:00:00Z' },
      });
      expectFail(r, 'status', 'LICENCE_SUSPENDED');
      expect(r.ok).to.equal(false);
    });

    it('an unknown status fails closed', async function () {
      const r = await verifyLicence(f.pdf, f.receipt, f.trust, {
        ...f.ledger,
        licenceStatus: { status: 'frozen', changedAt: '2025-01-01T00:00:00Z' } as unknown as LedgerFacts['licenceStatus'],
      });
      expect(check(r, 'status').ok).to.equal(false);
      expect(r.ok).to.equal(false);
    });
  });

  describe('parsePdfDate', function () {
    it('parses the PDF date forms', function () {
      expect(parsePdfDate('D:20240226093000Z')?.toISOString()).to.equal('2024-02-26T09:30:00.000Z');
      expect(parsePdfDate("D:20240226093000+08'00'")?.toISOString()).to.equal('2024-02-26T01:30:00.000Z');
      expect(parsePdfDate("D:20240226093000-05'30")?.toISOString()).to.equal('2024-02-26T15:00:00.000Z');
      expect(parsePdfDate('D:2024')?.toISOString()).to.equal('2024-01-01T00:00:00.000Z');
      expect(parsePdfDate('D:20241399')).to.equal(undefined);
      expect(parsePdfDate('yesterday')).to.equal(undefined);
    });
  });
});
