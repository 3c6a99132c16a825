/**
 * Test-only fixtures for the verifier tests: real PKI, real rendered + signed
 * PDFs, a tiny RFC 9162 log with a signed C2SP checkpoint. Uses node APIs
 * (tests only; not imported by the verifier).
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

import { generateIssuerCa, issueDepartmentSigningCert } from '../../src/pki/dev-pki.ts';
import type { CaMaterial, SigningMaterial } from '../../src/pki/dev-pki.ts';
import { DEFAULT_FONT_PATHS, loadFontChain } from '../../src/pdf/fonts.ts';
import { signPdfPades } from '../../src/pdf/pades.ts';
import { renderLicencePdf, renderSignedLicencePdf } from '../../src/pdf/render-licence.ts';
import { sampleLicenceInput } from '../../src/pdf/sample-input.ts';
import { base64Encode, generateCheckpointSigner, signCheckpoint } from '../../src/proofs/checkpoint.ts';
import { CompactRange, buildConsistencyProof, buildInclusionProof, hashLeaf } from '../../src/proofs/merkle.ts';
import type { LedgerFacts, Receipt, TrustPolicy } from '../../src/verify/licence-verifier.ts';

export const ORIGIN = 'licence-vault.test/licences';

export function pemToDer(pem: string): Uint8Array {
  const b64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function canonicalJson(value: unknown): string {
  const s = canonicalize(value);
  if (s === undefined) throw new Error('not canonicalizable');
  return s;
}

export interface TinyLog {
  leaves: string[];
  size: number;
  root: Uint8Array;
  proof(index: number): string[];
  /** Consistency proof (base64) from the tree of `size1` leaves to this one. */
  consistency(size1: number): string[];
  checkpoint: string;
  skey: string;
  vkey: string;
}

/** Appends `leaves` (strings) to a fresh tree and signs a checkpoint for it. */
export function buildLog(leaves: string[], origin = ORIGIN, signer = generateCheckpointSigner(origin)): TinyLog {
  const range = new CompactRange();
  const nodes = new Map<string, Uint8Array>();
  for (const leaf of leaves) {
    for (const n of range.append(hashLeaf(new TextEncoder().encode(leaf)))) nodes.set(`${n.level}/${n.index}`, n.hash);
  }
  const getNode = (level: number, index: number): Uint8Array => {
    const h = nodes.get(`${level}/${index}`);
    if (!h) throw new Error(`missing node ${level}/${index}`);
    return h;
  };
  const root = range.root();
  const size = range.size;
  return {
    leaves,
    size,
    root,
    proof: (index) => buildInclusionProof(index, size, getNode).map(base64Encode),
    consistency: (size1) => buildConsistencyProof(size1, size, getNode).map(base64Encode),
    checkpoint: signCheckpoint({ origin, size, rootHash: root }, signer.skey),
    skey: signer.skey,
    vkey: signer.vkey,
  };
}

export function leafFor(licenceId: string, documentSha256: string, extra: Record<string, unknown> = {}): string {
  return canonicalJson({
    kind: 'licence.issued',
    licenceId,
    version: 1,
    typeCode: 'food-business',
    issuer: '11350100MB0123456X',
    documentSha256,
    validFrom: '2024-03-01',
    validUntil: '2029-02-28',
    status: 'active',
    time: '2024-02-26T01:30:00Z',
    ...extra,
  });
}

export interface Fixtures {
  ca: CaMaterial;
  signer: SigningMaterial;
  otherCa: CaMaterial;
  otherSigner: SigningMaterial;
  signingTime: Date;
  /** Signed with `signer` (issued by `ca`) via renderSignedLicencePdf. */
  pdf: Uint8Array;
  unsignedPdf: Uint8Array;
  /** The same licence signed by `otherSigner` (issued by `otherCa`). */
  otherPdf: Uint8Array;
  /** The licence id of `pdf` (sampleLicenceInput). */
  licenceId: string;
  /** Index of our licence in the log. */
  index: number;
  log: TinyLog;
  receipt: Receipt;
  trust: TrustPolicy;
  ledger: LedgerFacts;
}

export async function makeFixtures(): Promise<Fixtures> {
  const fonts = loadFontChain(DEFAULT_FONT_PATHS);
  const [ca, otherCa] = await Promise.all([
    generateIssuerCa({ commonName: 'Licence Vault Test Issuer CA', organization: '测试政务服务数据管理局' }),
    generateIssuerCa({ commonName: 'Rogue CA', organization: 'Rogue Org' }),
  ]);
  const deptOpts = {
    commonName: '福州市市场监督管理局电子证照签章',
    organization: '福州市市场监督管理局',
    departmentCode: '11350100MB0123456X',
  };
  const [signer, otherSigner] = await Promise.all([
    issueDepartmentSigningCert(ca, deptOpts),
    issueDepartmentSigningCert(otherCa, deptOpts),
  ]);
  const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000);
  const input = sampleLicenceInput();
  const { pdf } = await renderSignedLicencePdf(input, fonts, signer, { signingTime, reason: 'Licence issuance' });
  const unsignedPdf = await renderLicencePdf(input, fonts);
  const otherPdf = await signPdfPades(unsignedPdf, otherSigner, { signingTime });

  const index = 2;
  const leaves = [0, 1, 2, 3, 4].map((i) =>
    i === index
      ? leafFor(input.licenceId, sha256Hex(pdf))
      : leafFor(`LV-2024-3501-00010${i}`, sha256Hex(new TextEncoder().encode(`other licence ${i}`))),
  );
  const log = buildLog(leaves);
  const receipt: Receipt = {
    licenceId: input.licenceId,
    leafIndex: index,
    treeSize: log.size,
    leafData: leaves[index] as string,
    inclusionProof: log.proof(index),
    checkpoint: log.checkpoint,
    anchor: {
      network: 'fabric',
      channel: 'licences',
      chaincode: 'licence-anchor',
      txId: 'a1b2c3',
      blockNumber: 7,
      anchoredAt: '2024-02-26T01:31:00Z',
    },
  };
  const trust: TrustPolicy = { issuerCaCertsDer: [pemToDer(ca.certPem)], checkpointVkey: log.vkey, logOrigin: ORIGIN };
  const ledger: LedgerFacts = {
    anchoredCheckpoint: { origin: ORIGIN, size: log.size, rootHashBase64: base64Encode(log.root) },
    licenceStatus: { status: 'active', changedAt: '2024-02-26T01:30:00Z' },
  };
  return {
    ca,
    signer,
    otherCa,
    otherSigner,
    signingTime,
    pdf,
    unsignedPdf,
    otherPdf,
    licenceId: input.licenceId,
    index,
    log,
    receipt,
    trust,
    ledger,
  };
}
