import { expect } from 'chai';

import { isVerificationError } from '../proofs/verification-error.ts';
import { parseLeafData, parseReceipt } from './receipt.ts';
import type { Receipt } from './receipt.ts';

const HASH_B64 = Buffer.alloc(32, 1).toString('base64');
const DOC = 'ab'.repeat(32);

function valid(): Receipt {
  return {
    licenceId: 'LV-2024-3501-000123',
    leafIndex: 2,
    treeSize: 5,
    leafData: JSON.stringify({ documentSha256: DOC, kind: 'licence.issued', licenceId: 'LV-2024-3501-000123' }),
    inclusionProof: [HASH_B64, HASH_B64, HASH_B64],
    checkpoint: 'origin\n5\nroot\n\n— origin sig\n',
    anchor: { network: 'fabric', channel: 'licences', chaincode: 'anchor', txId: 'tx1', blockNumber: 9, anchoredAt: '2024-02-26T01:31:00Z' },
  };
}

function malformed(input: unknown, message: RegExp): void {
  try {
    parseReceipt(input);
  } catch (err) {
    expect(isVerificationError(err, 'RECEIPT_MALFORMED'), String(err)).to.equal(true);
    expect((err as Error).message).to.match(message);
    return;
  }
  expect.fail(`expected RECEIPT_MALFORMED matching ${message}`);
}

const mutate = (patch: Record<string, unknown>): unknown => ({ ...valid(), ...patch });

describe('verify: parseReceipt', function () {
  it('accepts a well-formed receipt and returns exactly its fields', function () {
    expect(parseReceipt(valid())).to.deep.equal(valid());
    expect(parseReceipt({ ...valid(), anchor: null }).anchor).to.equal(null);
    const noOptional = { ...valid(), anchor: { network: 'embedded', txId: 't', blockNumber: null, anchoredAt: '2024-02-26T01:31:00Z' } };
    expect(parseReceipt(noOptional).anchor).to.deep.equal(noOptional.anchor);
  });

  it('accepts a JSON round trip (what the CLI and API read)', function () {
    expect(parseReceipt(JSON.parse(JSON.stringify(valid())))).to.deep.equal(valid());
  });

  it('rejects non-objects', function () {
    for (const v of [null, undefined, 42, 'receipt', [valid()]]) malformed(v, /expected a JSON object/);
  });

  it('type-checks every top-level field', function () {
    malformed(mutate({ licenceId: 7 }), /licenceId must be a string, got number 7/);
    malformed(mutate({ licenceId: '' }), /licenceId must not be empty/);
    malformed(mutate({ leafIndex: '2' }), /leafIndex must be a non-negative safe integer, got string/);
    malformed(mutate({ leafIndex: -1 }), /leafIndex must be a non-negative safe integer/);
    malformed(mutate({ leafIndex: 1.5 }), /leafIndex must be a non-negative safe integer/);
    malformed(mutate({ treeSize: 2 ** 53 }), /treeSize must be a non-negative safe integer/);
    malformed(mutate({ leafIndex: 5 }), /leafIndex 5 must be below treeSize 5/);
    malformed(mutate({ leafData: { licenceId: 'x' } }), /leafData must be a string, got object/);
    malformed(mutate({ inclusionProof: HASH_B64 }), /inclusionProof must be an array, got string/);
    malformed(mutate({ inclusionProof: [HASH_B64, 3] }), /inclusionProof\[1\] must be a string, got number/);
    malformed(mutate({ inclusionProof: [Buffer.alloc(31).toString('base64')] }), /inclusionProof\[0\] must be standard base64 of 32 bytes/);
    malformed(mutate({ inclusionProof: [HASH_B64.replace(/=$/, '')] }), /inclusionProof\[0\] must be standard base64/);
    malformed(mutate({ checkpoint: null }), /checkpoint must be a string, got null/);
  });

  it('type-checks the anchor', function () {
    malformed(mutate({ anchor: undefined }), /anchor must be an object or null, got undefined/);
    malformed(mutate({ anchor: 'fabric' }), /anchor must be an object or null, got string/);
    const anchor = valid().anchor as NonNullable<Receipt['anchor']>;
    malformed(mutate({ anchor: { ...anchor, network: 1 } }), /anchor\.network must be a string/);
    malformed(mutate({ anchor: { ...anchor, txId: '' } }), /anchor\.txId must not be empty/);
    malformed(mutate({ anchor: { ...anchor, blockNumber: '9' } }), /anchor\.blockNumber must be a non-negative safe integer or null/);
    malformed(mutate({ anchor: { ...anchor, anchoredAt: 'soon' } }), /anchor\.anchoredAt is not a date-time/);
    malformed(mutate({ anchor: { ...anchor, channel: 5 } }), /anchor\.channel must be a string/);
    malformed(mutate({ anchor: { ...anchor, chaincode: null } }), /anchor\.chaincode must be a string/);
    malformed(mutate({ anchor: { ...anchor, coveredBySize: -1 } }), /anchor\.coveredBySize must be a non-negative safe integer/);
    expect(parseReceipt(mutate({ anchor: { ...anchor, coveredBySize: 8 } })).anchor?.coveredBySize).to.equal(8);
  });

  it('checks the leaf carries a licenceId and a lowercase hex documentSha256', function () {
    const leaf = (o: unknown): unknown => mutate({ leafData: typeof o === 'string' ? o : JSON.stringify(o) });
    malformed(leaf('{not json'), /leafData is not valid JSON/);
    malformed(leaf([1, 2]), /leafData must be a JSON object, got array/);
    malformed(leaf({ documentSha256: DOC }), /leafData\.licenceId must be a string, got undefined/);
    malformed(leaf({ licenceId: 'x' }), /leafData\.documentSha256 must be a string/);
    malformed(leaf({ licenceId: 'x', documentSha256: DOC.toUpperCase() }), /64 lowercase hex digits/);
    malformed(leaf({ licenceId: 'x', documentSha256: DOC.slice(2) }), /64 lowercase hex digits/);
    malformed(leaf({ kind: 'licence.status', licenceId: 'x', documentSha256: DOC }), /leafData\.kind must be "licence\.issued"/);
  });

  it('parseLeafData keeps the other leaf fields', function () {
    const leaf = parseLeafData(JSON.stringify({ licenceId: 'x', documentSha256: DOC, version: 3 }));
    expect(leaf).to.deep.equal({ licenceId: 'x', documentSha256: DOC, version: 3 });
  });
});
