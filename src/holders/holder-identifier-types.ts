/** The crosswalk of holder identifiers: types and the store port. */
import type { IdentifierKind } from '../identity/legacy-identifiers.ts';

export type AliasKind = Extract<IdentifierKind, 'registration-number' | 'organisation-code' | 'resident-id-15'>;
export type AliasSource = 'issuance' | 'digitization' | 'issuer';

export interface HolderAlias {
  identifier: string;
  kind: AliasKind;
  holderId: string;
  holderKind: 'person' | 'organisation';
  source: AliasSource;
  licenceId: string | null;
  addedBy: string;
  reason: string | null;
  addedAt: string;
}

export interface IdentifierConflict {
  id: number;
  identifier: string;
  kind: AliasKind;
  claimedHolderId: string;
  existingHolderId: string;
  source: AliasSource | 'lookup';
  licenceId: string | null;
  claimedBy: string;
  reason: string | null;
  at: string;
}

export interface HolderIdentifierStore {
  get(identifier: string): Promise<HolderAlias | null>;
  listForHolder(holderId: string): Promise<HolderAlias[]>;
  /**
   * Adds aliases; one another holder already has is not added but recorded as a conflict. Returns what was
   * added and what conflicted. Idempotent for an alias the holder already has.
   */
  add(aliases: HolderAlias[]): Promise<{ added: HolderAlias[]; conflicts: Array<{ alias: HolderAlias; existingHolderId: string }> }>;
  recordConflict(conflict: Omit<IdentifierConflict, 'id'>): Promise<void>;
  conflicts(limit: number): Promise<IdentifierConflict[]>;
  /** True when a second holder has claimed this identifier: it then leads to nobody until resolved. */
  disputed(identifier: string): Promise<boolean>;
  /** True when any licence is held under this canonical ID. */
  holderExists(holderId: string): Promise<boolean>;
}
