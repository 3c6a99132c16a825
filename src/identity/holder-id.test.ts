import { expect } from 'chai';
import { checkHolderId } from './holder-id.ts';
import type { HolderKind } from './holder-id.ts';
import { FIXED_NOW } from './arbitraries.test-helpers.ts';

describe('identity/holder-id', () => {
  it('validates persons with the resident-ID rules', () => {
    expect(checkHolderId('person', '11010519491231002x', { now: FIXED_NOW })).to.deep.equal({
      ok: true,
      value: '11010519491231002X',
      original: '11010519491231002x',
    });
    const r = checkHolderId('person', '110105194912310023', { now: FIXED_NOW });
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.code).to.equal('BAD_CHECK_CHARACTER');
  });

  it('validates organisations with the USCC rules', () => {
    expect(checkHolderId('organisation', '91350100m000100y43').ok).to.equal(true);
    const r = checkHolderId('organisation', '91350100O000100Y43');
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.code).to.equal('BAD_CHARACTER');
  });

  it('does not accept one kind of identifier for the other', () => {
    expect(checkHolderId('person', '91350100M000100Y43').ok).to.equal(false);
    expect(checkHolderId('organisation', '11010519491231002X').ok).to.equal(false);
  });

  it('throws a TypeError for an unknown kind from untyped callers', () => {
    expect(() => checkHolderId('company' as unknown as HolderKind, 'x')).to.throw(TypeError, 'unknown holder kind');
  });
});
