import { expect } from 'chai';
import fc from 'fast-check';
import type { CheckName, CheckOutcome } from './licence-verifier.ts';
import { headline, todayInChina, VERDICTS } from './verdict.ts';
import type { Verdict, VerdictFacts } from './verdict.ts';

/** Each check's possible failure codes (src/verify/licence-verifier.ts). */
const FAILURES: Record<CheckName, string[]> = {
  signature: ['SIGNATURE_INVALID', 'PDF_MALFORMED'],
  issuer: ['CERT_UNTRUSTED'],
  documentHash: ['DOCUMENT_HASH_MISMATCH', 'RECEIPT_MALFORMED'],
  inclusion: ['INCLUSION_PROOF_INVALID', 'RECEIPT_MALFORMED'],
  checkpoint: ['CHECKPOINT_SIGNATURE_INVALID'],
  anchor: ['CHECKPOINT_NOT_ANCHORED:behind', 'CHECKPOINT_NOT_ANCHORED:split'],
  status: ['LICENCE_REVOKED', 'LICENCE_SUSPENDED'],
};
const CHECKS = Object.keys(FAILURES) as CheckName[];

function outcome(check: CheckName, choice: string): CheckOutcome {
  if (choice === 'pass') return { check, ok: true, detail: 'passed' };
  if (choice === 'skip') return { check, ok: null, detail: 'not checked' };
  const [code, how] = choice.split(':');
  const detail = how === 'split' ? 'the ledger anchors a different root for size 4 (the log presented a split view)' : how === 'behind' ? "the ledger's latest anchored size 3 is below the receipt's checkpoint size 4" : 'failed';
  return { check, ok: false, code: code as never, detail };
}

const GOOD: Omit<VerdictFacts, 'report'> = { status: 'active', validity: { validFrom: '2026-01-01', validUntil: null }, today: '2026-12-07' };
const rank = (v: Verdict) => VERDICTS.indexOf(v);

describe('verify: one headline verdict, decided by the worst fact', () => {
  it('maps every combination of the seven check outcomes to exactly one known headline, valid only when all passed', () => {
    const choices = CHECKS.map((c) => ['pass', 'skip', ...FAILURES[c]]);
    let combinations = 0;
    const walk = (i: number, picked: string[]) => {
      if (i === CHECKS.length) {
        combinations += 1;
        const checks = picked.map((choice, k) => outcome(CHECKS[k]!, choice));
        const h = headline({ ...GOOD, report: { checks } });
        expect(VERDICTS, picked.join(',')).to.include(h.verdict);
        expect(h.acceptable).to.equal(h.verdict === 'valid');
        expect(h.verdict === 'valid', picked.join(',')).to.equal(picked.every((p) => p === 'pass'));
        const codes = picked.filter((p) => p !== 'pass' && p !== 'skip');
        const tamper = codes.some((c) => ['SIGNATURE_INVALID', 'PDF_MALFORMED', 'DOCUMENT_HASH_MISMATCH', 'INCLUSION_PROOF_INVALID', 'CHECKPOINT_SIGNATURE_INVALID', 'RECEIPT_MALFORMED', 'CHECKPOINT_NOT_ANCHORED:split'].includes(c));
        if (tamper) expect(h.verdict, picked.join(',')).to.equal('tampered');
        else if (codes.includes('CERT_UNTRUSTED')) expect(h.verdict).to.equal('untrusted-issuer');
        else if (codes.includes('LICENCE_REVOKED')) expect(h.verdict).to.equal('revoked');
        else if (codes.includes('LICENCE_SUSPENDED')) expect(h.verdict).to.equal('suspended');
        else if (codes.length > 0 || picked.includes('skip')) expect(h.verdict, picked.join(',')).to.equal('could-not-check');
        return;
      }
      for (const c of choices[i]!) walk(i + 1, [...picked, c]);
    };
    walk(0, []);
    expect(combinations).to.equal(4 * 3 * 4 * 4 * 3 * 4 * 4);
  });

  it('orders the facts: a worse fact never yields a better headline, and green needs every fact to be good', () => {
    const facts = fc.record({
      checks: fc.tuple(...CHECKS.map((c) => fc.constantFrom('pass', 'skip', ...FAILURES[c]))),
      notFound: fc.boolean(),
      documentMismatch: fc.boolean(),
      status: fc.constantFrom('active', 'suspended', 'revoked', 'superseded', null),
      validity: fc.constantFrom({ validFrom: '2026-01-01', validUntil: null }, { validFrom: '2020-01-01', validUntil: '2025-01-01' }, { validFrom: '2027-01-01', validUntil: null }, null),
      unreachable: fc.boolean(),
    });
    fc.assert(fc.property(facts, fc.integer({ min: 0, max: 4 }), (f, worsen) => {
      const input: VerdictFacts = {
        report: { checks: f.checks.map((c, k) => outcome(CHECKS[k]!, c)) },
        notFound: f.notFound, documentMismatch: f.documentMismatch, status: f.status as VerdictFacts['status'], validity: f.validity, unreachable: f.unreachable, today: '2026-12-07',
      };
      const h = headline(input);
      if (h.verdict === 'valid') {
        expect(f.checks.every((c) => c === 'pass') && !f.notFound && !f.documentMismatch && f.status === 'active' && f.validity?.validUntil === null && f.validity.validFrom <= '2026-12-07' && !f.unreachable).to.equal(true);
      }
      // Add one bad fact (learning less is not a bad fact): the headline can only stay or get worse.
      const worse: VerdictFacts = [
        { ...input, notFound: true },
        { ...input, documentMismatch: true },
        { ...input, status: 'revoked' as const },
        { ...input, unreachable: true },
        { ...input, validity: { validFrom: '2020-01-01', validUntil: '2021-01-01' } },
      ][worsen]!;
      expect(rank(headline(worse).verdict)).to.be.at.most(rank(h.verdict));
    }), { numRuns: 3000 });
  });

  it('answers the card alone (no file): valid, revoked, expired, superseded, not found, could not check', () => {
    expect(headline(GOOD).verdict).to.equal('valid');
    expect(headline({ ...GOOD, status: 'revoked' }).verdict).to.equal('revoked');
    expect(headline({ ...GOOD, validity: { validFrom: '2024-02-20', validUntil: '2025-02-19' } }).verdict).to.equal('expired');
    expect(headline({ ...GOOD, validity: { validFrom: '2024-02-20', validUntil: '2026-12-07' } }).verdict).to.equal('valid'); // the last day still counts
    expect(headline({ ...GOOD, status: 'superseded' }).verdict).to.equal('superseded');
    expect(headline({ ...GOOD, notFound: true }).verdict).to.equal('not-found');
    expect(headline({ ...GOOD, status: null, unreachable: true })).to.deep.include({ verdict: 'could-not-check', acceptable: false });
  });

  it('takes today in China Standard Time', () => {
    expect(todayInChina(new Date('2026-12-06T16:30:00Z'))).to.equal('2026-12-07');
    expect(todayInChina(new Date('2026-12-06T15:59:59Z'))).to.equal('2026-12-06');
  });
});
