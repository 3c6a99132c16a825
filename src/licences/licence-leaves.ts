/**
 * What each licence event writes to the transparency log and the ledger outbox. Leaf contents are the
 * public facts a verifier needs (never the holder's identity or field values: only their commitment root).
 */
import crypto from 'node:crypto';
import { bytesToHex } from '@noble/hashes/utils.js';
import { sha256Hex } from '../hashing/sha256.ts';
import { fieldCommitment } from '../proofs/field-commitments.ts';
import type { DigitizedProvenance, Licence, LicenceStatus, StatusAction, WriteEffects } from './licence-types.ts';

/**
 * The parts of a digitized licence's provenance that are, or may hold, personal data: the holder's original
 * identifier, old registration numbers, the reviewing clerk, the source system's record id and the scans'
 * file names (departments name files after people). The public, append-only log shows each only as a
 * salted commitment, SHA-256 of canonical {name, salt, value} as for the licence's fields; the values and
 * salts stay in the vault, so an auditor the vault shows them to can check them against the leaf.
 */
export const PERSONAL_PROVENANCE = ['holderIdOriginal', 'aliases', 'reviewingClerk', 'sourceRecordId', 'scanFileNames'] as const;

function personalValue(provenance: DigitizedProvenance, name: (typeof PERSONAL_PROVENANCE)[number]): unknown {
  return name === 'scanFileNames' ? provenance.scans.map((s) => s.fileName) : provenance[name];
}

/** 128-bit salts, one per personal part of the provenance. */
export function provenanceSaltsFor(): Record<string, string> {
  return Object.fromEntries(PERSONAL_PROVENANCE.map((name) => [name, crypto.randomBytes(16).toString('base64')]));
}

/** What the public leaf says of a licence digitized from paper: the chain of custody, without a person in it. */
export function publicProvenance(provenance: DigitizedProvenance, salts: Record<string, string>) {
  return {
    kind: provenance.kind,
    sourceSystem: provenance.sourceSystem,
    originalIssueDate: provenance.originalIssueDate,
    archiveLocation: provenance.archiveLocation,
    scans: provenance.scans.map((s) => ({ sha256: s.sha256, mediaType: s.mediaType })),
    commitments: Object.fromEntries(PERSONAL_PROVENANCE.map((name) => {
      const salt = salts[name];
      if (!salt) throw new Error(`no salt for the provenance's ${name}`);
      return [name, bytesToHex(fieldCommitment(name, personalValue(provenance, name), salt))];
    })),
  };
}

export function issuanceEffects(origin: string, licence: Licence, provenanceSalts: Record<string, string> | null): WriteEffects {
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
        // Chain of custody for a licence digitized from paper: the scans' hashes, and commitments to the
        // personal parts (who the holder was known as, who reviewed it), never the values themselves.
        ...(licence.provenance ? { digitizedFromPaper: publicProvenance(licence.provenance, provenanceSalts ?? {}) } : {}),
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
    ledger: [{ origin, licenceId: licence.id, status, reasonSha256, changedAt: time }],
  };
}
