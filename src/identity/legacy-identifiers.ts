/**
 * Every identifier a holder is known by, as department systems still hold them: the canonical 18-character
 * resident ID (GB 11643) or unified social credit code (GB 32100); the 15-digit resident ID issued before
 * 1999 (converted by inserting "19" and the check character); the 9-character organisation code (GB 11714)
 * that a USCC embeds in its positions 9–17; and an old business registration number (工商注册号), which
 * cannot be derived from anything and is only known where a department recorded it. Pure: the crosswalk
 * (src/holders/) looks up what this cannot derive.
 */
import { convertResidentId15To18, checkResidentId } from './resident-id.ts';
import { checkUscc, computeOrganisationCodeCheck } from './uscc.ts';
import { normaliseIdentifierInput } from './normalise.ts';

export type IdentifierKind = 'resident-id' | 'uscc' | 'resident-id-15' | 'organisation-code' | 'registration-number';

/** One way of reading an identifier: its kind, and the canonical ID when it can be derived without a lookup. */
export interface IdentifierReading {
  kind: IdentifierKind;
  /** The identifier in its stored form (normalised: half-width, upper-case, no hyphen). */
  value: string;
  /** The canonical 18-character ID it stands for, when derivable (resident IDs, USCCs). */
  canonical: string | null;
  holderKind: 'person' | 'organisation';
}

/**
 * All plausible readings of an input, most specific first. A 15-digit string can be both a pre-1999
 * resident ID and an old registration number: both readings are returned, and the crosswalk decides (or
 * reports the ambiguity), never a guess.
 */
export function readIdentifier(input: string): IdentifierReading[] {
  const value = normaliseIdentifierInput(input).replace(/-/g, '');
  const readings: IdentifierReading[] = [];
  if (value.length === 18) {
    const person = checkResidentId(value);
    if (person.ok) readings.push({ kind: 'resident-id', value: person.value, canonical: person.value, holderKind: 'person' });
    const organisation = checkUscc(value);
    if (organisation.ok) readings.push({ kind: 'uscc', value: organisation.value, canonical: organisation.value, holderKind: 'organisation' });
  }
  if (value.length === 15 && /^\d{15}$/.test(value)) {
    const person = convertResidentId15To18(value);
    if (person.ok) readings.push({ kind: 'resident-id-15', value, canonical: person.value, holderKind: 'person' });
  }
  if (value.length === 9 && isOrganisationCode(value)) readings.push({ kind: 'organisation-code', value, canonical: null, holderKind: 'organisation' });
  // Old registration numbers were 13 or 15 digits (and letters in a few provinces): looked up, never derived.
  if (/^[0-9A-Z]{6,30}$/.test(value) && !readings.some((r) => r.kind === 'resident-id' || r.kind === 'uscc')) {
    readings.push({ kind: 'registration-number', value, canonical: null, holderKind: 'organisation' });
  }
  return readings;
}

/** A GB 11714 organisation code: 8 digits or upper-case letters and its check character. */
export function isOrganisationCode(code: string): boolean {
  if (!/^[0-9A-Z]{8}[0-9X]$/.test(code)) return false;
  try {
    return computeOrganisationCodeCheck(code.slice(0, 8)) === code.charAt(8);
  } catch {
    return false;
  }
}

/** The organisation code a USCC embeds (its characters 9 to 17), the identifier pre-2015 systems hold. */
export function organisationCodeOf(uscc: string): string {
  return uscc.slice(8, 17);
}
