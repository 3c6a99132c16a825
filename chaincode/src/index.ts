/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Entry point read by `fabric-chaincode-node start|server` (package.json
 * "main": it expects a `contracts` export listing the contract classes).
 */
import { LicenceAnchorContract } from './licenceAnchorContract';

export { LicenceAnchorContract } from './licenceAnchorContract';
export { canonicalJson } from './canonicalJson';
export { verifyConsistency, hashLeaf, hashChildren } from './merkle';
export { ErrorCode, ChaincodeError } from './errors';

export const contracts: unknown[] = [LicenceAnchorContract];
