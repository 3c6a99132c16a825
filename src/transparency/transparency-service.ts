/**
 * Receipts, proofs and ledger facts: what an auditor needs to check the vault without trusting it.
 * Proofs and checkpoints are public data; leaves and licence-specific facts follow the licence's access rules.
 */
import { TtlCache } from '../caching/ttl-cache.ts';
import type { Principal } from '../auth/principal.ts';
import { hasRole } from '../auth/principal.ts';
import { ApiProblem, problems } from '../http/problem.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { LicenceService } from '../licences/licence-service.ts';
import { sha256Hex } from '../licences/licence-service.ts';
import { consistencyProofSpan, parseReceipt, verifyLicence } from '../verify/index.ts';
import type { TrustPolicy, VerificationReport } from '../verify/index.ts';
import { base64Encode } from './checkpoint.ts';
import type { LogStore } from './log-store.ts';
import type { StoredCheckpoint } from './log-types.ts';

/** The receipt is the verifier's input: one definition, in the verifier. */
export type { Receipt } from '../verify/receipt.ts';
import type { Receipt } from '../verify/receipt.ts';

const FACTS_CACHE_MS = 2000;
const FACTS_CACHE_ENTRIES = 10_000;

export class TransparencyService {
  constructor(
    private readonly deps: { logs: LogStore; ledger: Ledger; licences: LicenceService; origin: string; vkey: string; issuerCaCertsDer: () => Uint8Array[] },
  ) {}

  trustPolicy(): TrustPolicy {
    return { issuerCaCertsDer: this.deps.issuerCaCertsDer(), checkpointVkey: this.deps.vkey, logOrigin: this.deps.origin };
  }

  /**
   * Public verification of a PDF (POST /verify): the same pure verifier the CLI and the page run, fed with
   * the receipt (given, or found by the document's hash) and the ledger's facts.
   */
  async verifyDocument(pdf: Uint8Array, givenReceipt: unknown): Promise<VerificationReport> {
    let receipt: Receipt | null = null;
    if (givenReceipt !== undefined && givenReceipt !== null) {
      receipt = givenReceipt as Receipt;
    } else {
      const licence = await this.deps.licences.findByDocument(sha256Hex(pdf));
      if (licence) receipt = await this.receiptFor(licence.id).catch(() => null);
    }
    let parsed: { licenceId: string; treeSize: number } | null = null;
    try {
      parsed = receipt ? parseReceipt(receipt) : null;
    } catch {
      parsed = null; // the verifier reports the malformed receipt itself
    }
    const facts = await this.ledgerFacts(parsed?.licenceId ?? null);
    return verifyLicence(pdf, receipt as never, this.trustPolicy(), {
      anchoredCheckpoint: facts.anchoredCheckpoint,
      licenceStatus: facts.licenceStatus ? { status: facts.licenceStatus.status, changedAt: facts.licenceStatus.changedAt } : null,
      consistencyProof: await this.consistencyOrNull(consistencyProofSpan(parsed?.treeSize, facts.anchoredCheckpoint)),
    });
  }

  /**
   * The proof that the receipt's tree is a prefix of the anchored one, or null when none is needed or this
   * log cannot make one (the ledger anchors more than it holds): the verifier then reports the anchor
   * unproven. An outage is not such a case: it propagates, and the request is answered 503.
   */
  private async consistencyOrNull(span: { first: number; second: number } | null): Promise<string[] | null> {
    if (!span) return null;
    try {
      return await this.consistency(span.first, span.second);
    } catch (error) {
      if (error instanceof ApiProblem && error.code === 'SIZES_INVALID') return null;
      throw error;
    }
  }

  get origin(): string {
    return this.deps.origin;
  }

  get vkey(): string {
    return this.deps.vkey;
  }

  async receipt(principal: Principal | null, licenceId: string): Promise<Receipt> {
    await this.deps.licences.getForAudit(principal, licenceId);
    return this.receiptFor(licenceId);
  }

  private async receiptFor(licenceId: string): Promise<Receipt> {
    const receipt = await this.leafReceipt(this.deps.origin, licenceId, 'licence.issued');
    if (receipt === 'no-leaf') throw new ApiProblem(500, 'LEAF_MISSING', `licence ${licenceId} has no log leaf`);
    if (receipt === 'pending') {
      throw new ApiProblem(409, 'RECEIPT_PENDING', 'the licence is logged but not yet in a signed checkpoint; retry shortly', {}, { 'Retry-After': '10' });
    }
    return { licenceId, ...receipt };
  }

  /** Receipts stay valid forever; a newer checkpoint only makes a fresher one possible. */
  private readonly receiptCache = new TtlCache<Receipt | null>(FACTS_CACHE_MS, FACTS_CACHE_ENTRIES);
  /**
   * Keyed by licence and vault status, so a status change reads the ledger afresh; the answer's status
   * value is always the vault's current one (see licenceFacts).
   */
  private readonly ledgerStatusCache = new TtlCache<Awaited<ReturnType<Ledger['getLicenceStatus']>>>(FACTS_CACHE_MS, FACTS_CACHE_ENTRIES);

  /**
   * A licence's receipt, or null while no checkpoint covers it yet (exchange answers). Cached for a
   * moment: the exchange's hot path saves three queries per answer.
   */
  receiptIfCheckpointed(licenceId: string): Promise<Receipt | null> {
    return this.receiptCache.get(licenceId, async () => {
      const found = await this.leafReceipt(this.deps.origin, licenceId, 'licence.issued');
      return typeof found === 'string' ? null : { licenceId, ...found };
    });
  }

  /** Status and receipt for an exchange answer; both reads are cached for a moment (see the caches). */
  async licenceFacts(licenceId: string, vaultStatus: string) {
    const [record, receipt] = await Promise.all([
      this.ledgerStatusCache.get(`${licenceId}|${vaultStatus}`, () => this.deps.ledger.getLicenceStatus(licenceId)),
      this.receiptIfCheckpointed(licenceId),
    ]);
    let status: { status: string; source: 'ledger' | 'anchored-issuance' | 'vault-pending-ledger'; txId: string | null };
    if (record && record.status === vaultStatus) status = { status: record.status, source: 'ledger', txId: record.txId };
    else if (!record && vaultStatus === 'active' && receipt?.anchor) status = { status: 'active', source: 'anchored-issuance', txId: receipt.anchor.txId };
    else status = { status: vaultStatus, source: 'vault-pending-ledger', txId: null };
    return { status, receipt };
  }

  /** Inclusion of the leaf about `subject` in the newest (preferably anchored) checkpoint covering it. */
  async leafReceipt(origin: string, subject: string, kind?: string): Promise<Omit<Receipt, 'licenceId'> | 'no-leaf' | 'pending'> {
    const leaf = (await this.deps.logs.leavesAbout(origin, subject)).find((l) => !kind || JSON.parse(l.data).kind === kind);
    if (!leaf) return 'no-leaf';
    const checkpoint = await this.deps.logs.checkpointCovering(origin, leaf.index);
    if (!checkpoint) return 'pending';
    const proof = await this.deps.logs.inclusionProof(origin, leaf.index, checkpoint.size);
    return { leafIndex: leaf.index, treeSize: checkpoint.size, leafData: leaf.data, inclusionProof: proof.map(base64Encode), checkpoint: checkpoint.note, anchor: checkpoint.anchor };
  }

  async latestCheckpoint(): Promise<StoredCheckpoint> {
    const checkpoint = await this.deps.logs.latestCheckpoint(this.deps.origin);
    if (!checkpoint) throw problems.notFound('NO_CHECKPOINT', 'the log has no checkpoint yet');
    return checkpoint;
  }

  listCheckpoints(limit: number, beforeSize?: number): Promise<StoredCheckpoint[]> {
    return this.deps.logs.listCheckpoints(this.deps.origin, limit, beforeSize);
  }

  async consistency(first: number, second: number): Promise<string[]> {
    const size = await this.deps.logs.size(this.deps.origin);
    if (first > second || second > size || first < 1) {
      throw problems.badRequest('SIZES_INVALID', `need 1 ≤ first ≤ second ≤ ${size} (current tree size)`, [{ field: 'first', message: 'out of range' }]);
    }
    return (await this.deps.logs.consistencyProof(this.deps.origin, first, second)).map(base64Encode);
  }

  async leaves(principal: Principal | null, start: number, end: number) {
    if (!hasRole(principal, 'auditor')) throw principal ? problems.forbidden('ROLE_REQUIRED', 'reading log leaves needs the auditor role') : problems.unauthorized('AUTHENTICATION_REQUIRED', 'a bearer token is required');
    if (end <= start || end - start > 1000) throw problems.badRequest('RANGE_INVALID', 'need start < end and at most 1000 leaves', [{ field: 'end', message: 'out of range' }]);
    return this.deps.logs.leaves(this.deps.origin, start, end);
  }

  /**
   * Was licence X valid at time T — answered from the ledger, not from the vault's own tables. The ledger
   * holds status changes; before the first change, an issuance inside an anchored checkpoint is in force.
   */
  async validityAt(principal: Principal | null, licenceId: string, at: Date) {
    const licence = await this.deps.licences.getForAudit(principal, licenceId);
    const day = at.toISOString().slice(0, 10);
    const withinValidityWindow = day >= licence.validFrom && (licence.validUntil === null || day <= licence.validUntil);
    const record = await this.deps.ledger.getLicenceStatus(licenceId, at);
    let basis: 'ledger-status' | 'anchored-issuance' | 'none' = 'none';
    let ledgerStatus: string | null = null;
    let ledgerTxId: string | null = null;
    if (record) {
      basis = 'ledger-status';
      ledgerStatus = record.status;
      ledgerTxId = record.txId;
    } else if (Date.parse(licence.issuedAt) <= at.getTime()) {
      const anchor = await this.issuanceAnchor(licenceId);
      if (anchor) {
        basis = 'anchored-issuance';
        ledgerStatus = 'active';
        ledgerTxId = anchor.txId;
      }
    }
    return { licenceId, at: at.toISOString(), basis, ledgerStatus, ledgerTxId, withinValidityWindow, valid: ledgerStatus === 'active' && withinValidityWindow };
  }

  private async issuanceAnchor(licenceId: string) {
    const leaf = (await this.deps.logs.leavesAbout(this.deps.origin, licenceId)).find((l) => JSON.parse(l.data).kind === 'licence.issued');
    if (!leaf) return null;
    const checkpoint = await this.deps.logs.checkpointCovering(this.deps.origin, leaf.index);
    return checkpoint?.anchor ?? null;
  }

  async ledgerFacts(licenceId: string | null) {
    const [anchored, status] = await Promise.all([
      this.deps.ledger.getAnchoredCheckpoint(this.deps.origin),
      licenceId ? this.deps.ledger.getLicenceStatus(licenceId) : Promise.resolve(null),
    ]);
    return {
      ledger: this.deps.ledger.kind,
      anchoredCheckpoint: anchored ? { origin: anchored.origin, size: anchored.size, rootHashBase64: base64Encode(anchored.rootHash), txId: anchored.txId, anchoredAt: anchored.anchoredAt } : null,
      licenceStatus: status ? { status: status.status, changedAt: status.changedAt, txId: status.txId } : null,
    };
  }
}
