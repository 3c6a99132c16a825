/**
 * What each licence event writes to the transparency log and the ledger outbox. Leaf contents are the
 * public facts a verifier needs (never the holder's identity or field values: only their commitment root).
 */
import { sha256Hex } from '../hashing/sha256.ts';
import type { Licence, LicenceStatus, StatusAction, WriteEffects } from './licence-types.ts';

export function issuanceEffects(origin: string, licence: Licence): WriteEffects {
  return {
    log: [{
      origin,
      subject: licence.id,
      leaf: {
        kind: 'licence.issued',
        licenceId: licence.id,
        version: licence.version,
        previousId: licence.previousId,
        typeCode: licence.typeCode,
        issuer: licence.issuerCode,
        documentSha256: licence.document.sha256,
        fieldCommitmentRoot: licence.fieldCommitmentRoot,
        validFrom: licence.validFrom,
        validUntil: licence.validUntil,
        status: 'active',
        time: licence.issuedAt,
        // Chain of custody for a licence digitized from paper: the scans' hashes and who reviewed them.
        ...(licence.provenance ? { digitizedFromPaper: licence.provenance } : {}),
      },
    }],
    // Issuance reaches the ledger through the anchored checkpoint; only status changes are ledger writes,
    // so 1 M licences cost ~1 000 anchoring transactions, not 1 M status transactions.
    ledger: [],
  };
}

export function statusEffects(origin: string, licence: Pick<Licence, 'id' | 'issuerCode'>, action: StatusAction, status: LicenceStatus, reason: string, time: string): WriteEffects {
  const reasonSha256 = sha256Hex(reason);
  return {
    log: [{ origin, subject: licence.id, leaf: { kind: 'licence.status', licenceId: licence.id, issuer: licence.issuerCode, action, status, reasonSha256, time } }],
    ledger: [{ licenceId: licence.id, status, reasonSha256, changedAt: time }],
  };
}
