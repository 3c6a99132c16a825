import { InvalidObjectKeyError } from './object-store.ts';

/**
 * A list prefix is any leading part of a valid key ("", "licences/", "licences/sha256/ab"): same
 * alphabet as keys, no `..`, no leading `/`, no empty segment. Shared by the adapters so `list`
 * rejects the same inputs everywhere.
 */
const PREFIX_PATTERN = /^([a-z0-9][a-z0-9._-]*\/)*([a-z0-9][a-z0-9._-]*)?$/;

export function assertValidObjectKeyPrefix(prefix: string): void {
  if (!PREFIX_PATTERN.test(prefix) || prefix.includes('..') || prefix.length > 512) {
    throw new InvalidObjectKeyError(prefix);
  }
}
