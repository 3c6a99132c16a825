/** Licence-holder identifiers: a person's resident ID or an organisation's USCC. */

import { checkResidentId } from './resident-id.ts';
import type { ResidentIdOptions } from './resident-id.ts';
import { checkUscc } from './uscc.ts';
import type { UsccOptions } from './uscc.ts';
import type { IdentifierCheck } from './types.ts';

export type HolderKind = 'person' | 'organisation';

export type HolderIdOptions = ResidentIdOptions & UsccOptions;

/**
 * Validates a holder identifier: a GB 11643 resident ID for `'person'`, a
 * GB 32100 unified social credit code for `'organisation'`.
 */
export function checkHolderId(kind: HolderKind, input: string, options: HolderIdOptions = {}): IdentifierCheck {
  switch (kind) {
    case 'person':
      return checkResidentId(input, options);
    case 'organisation':
      return checkUscc(input, options);
    default: {
      // Runtime guard for untyped callers (e.g. JSON input).
      const k: never = kind;
      throw new TypeError(`unknown holder kind ${JSON.stringify(k)}; expected 'person' or 'organisation'`);
    }
  }
}

/** An identifier is a person's if it is a valid resident ID, an organisation's if it is a valid USCC (normalised). */
export function identifyHolder(subject: string): { holderKind: HolderKind; holderId: string } | null {
  for (const holderKind of ['person', 'organisation'] as const) {
    const check = checkHolderId(holderKind, subject);
    if (check.ok) return { holderKind, holderId: check.value };
  }
  return null;
}
