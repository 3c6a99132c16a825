/**
 * Receipts, proofs and ledger facts: what an auditor needs to check the vault without trusting it.
 * Proofs and checkpoints are public data; leaves and licence-specific facts follow the licence's access rules.
 */
import { TtlCache } from '../caching/ttl-cache.ts';
import type { Principal } from '../principals/principal.ts';
import { hasRole } from '../principals/principal.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Licence } from '../licences/licence-types.ts';
import { sha256Hex } from '../hashing/sha256.ts';
import { consistencyProofSpan, headline, parseLeafData, parseReceipt, todayInChina, verifyLicence } from '../verify/index.ts';
import type { Headline } from '../verify/index.ts';
import type { TrustPolicy, VerificationReport } from '../verify/index.ts';
import { base64Encode } from '../proofs/checkpoint.ts';
import type { LogStore } from '../log/log-types.ts';
import type { StoredCheckpoint } from '../log/log-types.ts';

/** The receipt is the verifier's input: one definition, in the verifier. */
export type { Receipt } from '../verify/receipt.ts';
import type { Receipt } from '../verify/receipt.ts';

/**
 * What receipts and validity answers need of the licences: one a principal may audit (anyone else gets
 * not-found), and the licence a document is, by its hash. LicenceService is one.
 */
export interface LicenceFinder {
  getForAudit(principal: Principal | null, id: string): Promise<Licence>;
  findByDocument(documentSha256: string): Promise<Licence | null>;
}

const FACTS_CACHE_MS = 2000;
const FACTS_CACHE_ENTRIES = 10_000;

export class TransparencyService {
  constructor(
    private readonly deps: { logs: LogStore; ledger: Ledger; licences: LicenceFinder; origin: string; vkey: string; issuerCaCertsDer: () => Uint8Array[] },
  ) {}

  trustPolicy(): TrustPolicy {
    return { issuerCaCertsDer: this.deps.issuerCaCertsDer(), checkpointVkey: this.deps.vkey, logOrigin: this.deps.origin };
  }

  /**
   * Public verification of a PDF (POST /verify): the same pure verifier the CLI and the page run, fed with
   * the receipt (given, or found by the document's hash) and the ledger's facts.
   */
  async verifyDocument(pdf: Uint8Array, givenReceipt: unknown): Promise<VerificationReport & { verdict: Headline }> {
    let receipt: Receipt | null = null;
    let licence: Licence | null = null;
    if (givenReceipt !== undefined && givenReceipt !== null) {
      receipt = givenReceipt as Receipt;
    } else {
      licence = await this.deps.licences.findByDocument(sha256Hex(pdf));
      if (licence) receipt = await this.receiptFor(licence.id).catch(() => null);
    }
    let parsed: { licenceId: string; treeSize: number } | null = null;
    try {
      parsed = receipt ? parseReceipt(receipt) : null;
    } catch {
      parsed = null; // the verifier reports the malformed receipt itself
    }
    const facts = await this.ledgerFacts(parsed?.licenceId ?? null);
    const report = await verifyLicence(pdf, receipt as never, this.trustPolicy(), {
      anchoredCheckpoint: facts.anchoredCheckpoint,
      licenceStatus: facts.licenceStatus ? { status: facts.licenceStatus.status, changedAt: facts.licenceStatus.changedAt } : null,
      consistencyProof: await this.consistencyOrNull(consistencyProofSpan(parsed?.treeSize, facts.anchoredCheckpoint)),
    });
    let leaf: Record<string, unknown> | null = null;
    try {
      leaf = receipt ? parseLeafData(parseReceipt(receipt).leafData) : null;
    } catch {
      leaf = null;
    }
    const anchored = report.checks.find((c) => c.check === 'anchor')?.ok === true;
    const verdict = headline({
      report,
      // Without a receipt given, a document the vault does not know is not a licence of this vault.
      notFound: givenReceipt == null && !licence,
      status: facts.licenceStatus?.status ?? (anchored ? 'active' : null),
      validity: typeof leaf?.validFrom === 'string' ? { validFrom: leaf.validFrom, validUntil: typeof leaf.validUntil === 'string' ? leaf.validUntil : null } : null,
      today: todayInChina(),
    });
    return { ...report, verdict };
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
      if (error instanceof DomainError && error.code === 'SIZES_INVALID') return null;
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
    if (receipt === 'no-leaf') throw DomainError.internal('LEAF_MISSING', `licence ${licenceId} has no log leaf`);
    if (receipt === 'pending') {
      throw DomainError.notReady('RECEIPT_PENDING', 'the licence is logged but not yet in a signed checkpoint; retry shortly', 10);
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

  /**
   * Status and receipt for an exchange answer; both reads are cached for a moment (see the caches), unless
   * `fresh` (the public licence card: a person is looking, and a change a second ago must show).
   */
  async licenceFacts(licenceId: string, vaultStatus: string, options: { fresh?: boolean } = {}) {
    const readStatus = () => this.deps.ledger.getLicenceStatus(this.deps.origin, licenceId);
    const readReceipt = async () => {
      const found = await this.leafReceipt(this.deps.origin, licenceId, 'licence.issued');
      return typeof found === 'string' ? null : { licenceId, ...found };
    };
    const [record, receipt] = await Promise.all([
      options.fresh ? readStatus() : this.ledgerStatusCache.get(`${licenceId}|${vaultStatus}`, readStatus),
      options.fresh ? readReceipt() : this.receiptIfCheckpointed(licenceId),
    ]);
    let status: { status: string; source: 'ledger' | 'anchored-issuance' | 'vault-pending-ledger'; txId: string | null };
    if (record && record.status === vaultStatus) status = { status: record.status, source: 'ledger', txId: record.txId };
    else if (!record && vaultStatus === 'active' && receipt?.anchor) status = { status: 'active', source: 'anchored-issuance', txId: receipt.anchor.txId };
    else status = { status: vaultStatus, source: 'vault-pending-ledger', txId: null };
    return { status, receipt, ledgerRecord: record };
  }

  /** When the issuing department last changed the licence's status (its newest status leaf), or null. */
  async lastStatusChangeTime(licenceId: string): Promise<string | null> {
    const leaves = await this.deps.logs.leavesAbout(this.deps.origin, licenceId);
    const last = leaves.map((l) => JSON.parse(l.data) as { kind: string; time?: string }).filter((l) => l.kind === 'licence.status').at(-1);
    return last?.time ?? null;
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
    if (!checkpoint) throw DomainError.notFound('NO_CHECKPOINT', 'the log has no checkpoint yet');
    return checkpoint;
  }

  listCheckpoints(limit: number, beforeSize?: number): Promise<StoredCheckpoint[]> {
    return this.deps.logs.listCheckpoints(this.deps.origin, limit, beforeSize);
  }

  async consistency(first: number, second: number): Promise<string[]> {
    const size = await this.deps.logs.size(this.deps.origin);
    if (first > second || second > size || first < 1) {
      throw DomainError.invalid('SIZES_INVALID', `need 1 ≤ first ≤ second ≤ ${size} (current tree size)`, [{ field: 'first', message: 'out of range' }]);
    }
    return (await this.deps.logs.consistencyProof(this.deps.origin, first, second)).map(base64Encode);
  }

  /** Open anchoring alarms (forks, rollbacks): for auditors and admins. */
  async alarms(principal: Principal | null) {
    if (!hasRole(principal, 'auditor') && !hasRole(principal, 'admin')) {
      throw principal ? DomainError.forbidden('ROLE_REQUIRED', 'anchoring alarms need the auditor or admin role') : DomainError.authenticationRequired();
    }
    return this.deps.logs.openAlarms();
  }

  async leaves(principal: Principal | null, start: number, end: number) {
    if (!hasRole(principal, 'auditor')) throw principal ? DomainError.forbidden('ROLE_REQUIRED', 'reading log leaves needs the auditor role') : DomainError.authenticationRequired();
    if (end <= start || end - start > 1000) throw DomainError.invalid('RANGE_INVALID', 'need start < end and at most 1000 leaves', [{ field: 'end', message: 'out of range' }]);
    return this.deps.logs.leaves(this.deps.origin, start, end);
  }

  /**
   * Was licence X valid at time T — answered from the ledger, not from the vault's own tables. The ledger
   * holds status changes with the time each was made; before the first change, an issuance inside an
   * anchored checkpoint is in force. The vault's own log says which change (if any) was made by T: when the
   * ledger does not hold that change yet, the answer is "pending on the ledger", never a guess.
   */
  async validityAt(principal: Principal | null, licenceId: string, at: Date) {
    const licence = await this.deps.licences.getForAudit(principal, licenceId);
    const day = todayInChina(at); // validity dates are days in China
    const withinValidityWindow = day >= licence.validFrom && (licence.validUntil === null || day <= licence.validUntil);
    const asked = at.getTime();
    const answer = (fields: { basis: 'ledger-status' | 'anchored-issuance' | 'pending-on-ledger' | 'not-yet-issued'; ledgerStatus?: string | null; txId?: string | null; recordedAt?: string | null; pendingChange?: { status: string; changedAt: string } | null }) => {
      const recordedAt = fields.recordedAt ?? null;
      const ledgerStatus = fields.ledgerStatus ?? null;
      return {
        licenceId, at: at.toISOString(), basis: fields.basis, ledgerStatus, ledgerTxId: fields.txId ?? null, ledgerRecordedAt: recordedAt,
        provedBy: recordedAt === null ? null : Date.parse(recordedAt) <= asked ? 'ledger-fact-at-time' as const : 'later-ledger-fact' as const,
        pendingChange: fields.pendingChange ?? null,
        withinValidityWindow,
        valid: (fields.basis === 'ledger-status' || fields.basis === 'anchored-issuance') && ledgerStatus === 'active' && withinValidityWindow,
      };
    };
    if (Date.parse(licence.issuedAt) > asked) return answer({ basis: 'not-yet-issued' });

    // The vault's own record of the licence's changes: the status leaves of its log, with their times.
    const leaves = (await this.deps.logs.leavesAbout(this.deps.origin, licenceId)).map((l) => JSON.parse(l.data) as { kind: string; status?: string; time?: string });
    const vaultChange = leaves.filter((l) => l.kind === 'licence.status' && l.time !== undefined && Date.parse(l.time) <= asked).at(-1);
    const record = await this.deps.ledger.getLicenceStatus(this.deps.origin, licenceId, at);
    if (vaultChange) {
      const onLedger = record && Date.parse(record.changedAt) === Date.parse(vaultChange.time!) && record.status === vaultChange.status;
      if (!onLedger) return answer({ basis: 'pending-on-ledger', ledgerStatus: record?.status ?? null, txId: record?.txId ?? null, recordedAt: record?.recordedAt ?? null, pendingChange: { status: vaultChange.status!, changedAt: vaultChange.time! } });
    }
    if (record) return answer({ basis: 'ledger-status', ledgerStatus: record.status, txId: record.txId, recordedAt: record.recordedAt });
    const anchor = await this.issuanceAnchor(licenceId);
    if (!anchor) return answer({ basis: 'pending-on-ledger', pendingChange: { status: 'active', changedAt: licence.issuedAt } });
    return answer({ basis: 'anchored-issuance', ledgerStatus: 'active', txId: anchor.txId, recordedAt: anchor.anchoredAt });
  }

  private async issuanceAnchor(licenceId: string) {
    const leaf = (await this.deps.logs.leavesAbout(this.deps.origin, licenceId)).find((l) => JSON.parse(l.data).kind === 'licence.issued');
    if (!leaf) return null;
    const checkpoint = await this.deps.logs.firstAnchoredCheckpointCovering(this.deps.origin, leaf.index);
    return checkpoint?.anchor ?? null;
  }

  async ledgerFacts(licenceId: string | null) {
    const [anchored, status] = await Promise.all([
      this.deps.ledger.getAnchoredCheckpoint(this.deps.origin),
      licenceId ? this.deps.ledger.getLicenceStatus(this.deps.origin, licenceId) : Promise.resolve(null),
    ]);
    return {
      ledger: this.deps.ledger.kind,
      anchoredCheckpoint: anchored ? { origin: anchored.origin, size: anchored.size, rootHashBase64: base64Encode(anchored.rootHash), txId: anchored.txId, anchoredAt: anchored.anchoredAt } : null,
      licenceStatus: status ? { status: status.status, changedAt: status.changedAt, recordedAt: status.recordedAt, txId: status.txId } : null,
    };
  }
}
