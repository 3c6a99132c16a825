/**
 * A real ledger behind a switch, for outage tests: while `down`, every call fails the way a transient
 * outage does (a retryable LEDGER_UNAVAILABLE), and nothing reaches the ledger underneath.
 */
import type { Ledger } from '../../src/ledger/ledger.ts';
import { LedgerError } from '../../src/ledger/ledger.ts';

export class SwitchableLedger implements Ledger {
  readonly kind = 'embedded' as const;
  down = false;
  constructor(private readonly inner: Ledger) {}
  private guard() {
    if (this.down) throw new LedgerError('LEDGER_UNAVAILABLE', 'simulated outage', true);
  }
  async anchorCheckpoint(r: Parameters<Ledger['anchorCheckpoint']>[0]) { this.guard(); return this.inner.anchorCheckpoint(r); }
  async getAnchoredCheckpoint(o: string) { this.guard(); return this.inner.getAnchoredCheckpoint(o); }
  async setLicenceStatus(...a: Parameters<Ledger['setLicenceStatus']>) { this.guard(); return this.inner.setLicenceStatus(...a); }
  async getLicenceStatus(...a: Parameters<Ledger['getLicenceStatus']>) { this.guard(); return this.inner.getLicenceStatus(...a); }
  async statusHistory(...a: Parameters<Ledger['statusHistory']>) { this.guard(); return this.inner.statusHistory(...a); }
  async ping() { this.guard(); }
  async close() {}
}
