import { expect } from 'chai';
import fc from 'fast-check';
import { fieldCommitmentRoot, fieldDiscloser, verifyDisclosedField } from './field-commitments.ts';

describe('field commitments', () => {
  const names = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 9 });

  it('discloses any subset of the fields, each verifying against the root, the same however often it is asked', () => {
    fc.assert(
      fc.property(names, fc.array(fc.nat(), { maxLength: 12 }), (fieldNames, picks) => {
        const fields = Object.fromEntries(fieldNames.map((name, i) => [name, `value ${i} of ${name}`]));
        const salts = Object.fromEntries(fieldNames.map((name, i) => [name, Buffer.from(`salt-${i}-${name}`).toString('base64')]));
        const root = fieldCommitmentRoot(fields, salts);
        const disclose = fieldDiscloser(fields, salts);
        const asked = [...picks.map((p) => fieldNames[p % fieldNames.length]!), 'not a field'];
        const first = disclose(asked);
        const again = disclose(asked);
        // Every asked field that exists, in the order asked; an unknown name is left out.
        expect(first.map((f) => f.name)).to.deep.equal(asked.filter((name) => name in fields));
        for (const field of first) {
          expect(field.value).to.equal(fields[field.name]);
          verifyDisclosedField(field, root);
        }
        expect(JSON.stringify(again)).to.equal(JSON.stringify(first));
        // A fresh tree discloses the same (the remembered disclosures are the computed ones).
        expect(JSON.stringify(fieldDiscloser(fields, salts)(asked))).to.equal(JSON.stringify(first));
      }),
      { numRuns: 200 },
    );
  });

  it('hands out disclosures no caller can change for the next one', () => {
    const fields = { a: 'one', b: 'two', c: 'three' };
    const salts = { a: 'c2FsdC1h', b: 'c2FsdC1i', c: 'c2FsdC1j' };
    const disclose = fieldDiscloser(fields, salts);
    const [field] = disclose(['b']);
    expect(() => {
      (field as { value: unknown }).value = 'forged';
    }).to.throw(TypeError);
    expect(() => field!.proof.push('AAAA')).to.throw(TypeError);
    expect(disclose(['b'])[0]!.value).to.equal('two');
    verifyDisclosedField(disclose(['b'])[0]!, fieldCommitmentRoot(fields, salts));
  });
});
