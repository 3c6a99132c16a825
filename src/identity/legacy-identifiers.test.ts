import { expect } from 'chai';
import { isOrganisationCode, organisationCodeOf, readIdentifier } from './legacy-identifiers.ts';

describe('identity: legacy identifiers', () => {
  it('reads a canonical resident ID and USCC as themselves', () => {
    expect(readIdentifier('11010519491231002X')).to.deep.equal([{ kind: 'resident-id', value: '11010519491231002X', canonical: '11010519491231002X', holderKind: 'person' }]);
    expect(readIdentifier('91350100M000100Y43')).to.deep.equal([{ kind: 'uscc', value: '91350100M000100Y43', canonical: '91350100M000100Y43', holderKind: 'organisation' }]);
  });

  it('reads a 15-digit resident ID as its 18-digit form, and also as a possible registration number', () => {
    const readings = readIdentifier('110105491231002');
    expect(readings[0]).to.deep.equal({ kind: 'resident-id-15', value: '110105491231002', canonical: '11010519491231002X', holderKind: 'person' });
    expect(readings.map((r) => r.kind)).to.deep.equal(['resident-id-15', 'registration-number']);
  });

  it('reads the organisation code a USCC embeds, with its GB 11714 check character, hyphen or not', () => {
    expect(organisationCodeOf('91350100M000100Y43')).to.equal('M000100Y4');
    expect(isOrganisationCode('M000100Y4')).to.equal(true);
    expect(isOrganisationCode('M000100Y5')).to.equal(false);
    expect(readIdentifier('M000100Y-4')[0]).to.deep.include({ kind: 'organisation-code', value: 'M000100Y4', canonical: null });
  });

  it('reads anything else plausible as an old registration number, and nothing as nothing', () => {
    expect(readIdentifier('110105000123456').map((r) => r.kind)).to.include('registration-number');
    expect(readIdentifier('!!')).to.deep.equal([]);
  });
});
