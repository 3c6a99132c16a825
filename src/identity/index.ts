export type { IdentifierCheck, IdentifierErrorCode, IdentifierFailure, IdentifierOk } from './types.ts';
export { normaliseIdentifierInput } from './normalise.ts';
export { checkResidentId, computeResidentIdCheck, convertResidentId15To18 } from './resident-id.ts';
export type { ResidentIdOptions } from './resident-id.ts';
export { checkUscc, computeUsccCheck, computeOrganisationCodeCheck, USCC_CHARSET } from './uscc.ts';
export type { UsccOptions } from './uscc.ts';
export { checkHolderId } from './holder-id.ts';
export type { HolderKind, HolderIdOptions } from './holder-id.ts';
export { computeMod37_36Check, isValidMod37_36, mod37_36Remainder } from './iso7064.ts';
export {
  computeLicenceIdCheck,
  formatLicenceId,
  nextVersionId,
  parseLicenceId,
} from './licence-id.ts';
export type {
  LicenceIdErrorCode,
  LicenceIdFailure,
  LicenceIdParse,
  LicenceIdParts,
  NextVersionResult,
  ParsedLicenceId,
} from './licence-id.ts';
