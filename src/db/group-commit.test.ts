import { expect } from 'chai';
import { GroupCommit } from './group-commit.ts';

class ItemFailure extends Error {}

/** A batch writer that records its batches and fails as told. */
function recorder(failWhen: (items: number[]) => Error | null = () => null, delayMs = 5) {
  const batches: number[][] = [];
  const written: number[] = [];
  const write = async (items: number[]) => {
    batches.push([...items]);
    await new Promise((r) => setTimeout(r, delayMs));
    const failure = failWhen(items);
    if (failure) throw failure;
    written.push(...items);
  };
  return { batches, written, write };
}

describe('group commit', () => {
  it('writes the items of one event-loop turn in one batch, and later arrivals in the next', async () => {
    const r = recorder();
    const group = new GroupCommit(r.write, { maxBatch: 100, isItemFailure: (e) => e instanceof ItemFailure });
    const first = [1, 2, 3].map((n) => group.write(n));
    await new Promise((resolve) => setImmediate(resolve)); // the first batch is now in flight
    const second = [4, 5].map((n) => group.write(n));
    await Promise.all([...first, ...second]);
    expect(r.batches).to.deep.equal([[1, 2, 3], [4, 5]]);
    expect(r.written).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('caps a batch at maxBatch items', async () => {
    const r = recorder();
    const group = new GroupCommit(r.write, { maxBatch: 2, isItemFailure: () => false });
    await Promise.all([1, 2, 3, 4, 5].map((n) => group.write(n)));
    expect(r.batches).to.deep.equal([[1, 2], [3, 4], [5]]);
  });

  it('retries each item alone when one item fails the batch, so only that item fails', async () => {
    const r = recorder((items) => (items.includes(3) ? new ItemFailure('duplicate 3') : null));
    const group = new GroupCommit(r.write, { maxBatch: 100, isItemFailure: (e) => e instanceof ItemFailure });
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map((n) => group.write(n)));
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason).to.be.instanceOf(ItemFailure);
    expect(r.written).to.deep.equal([1, 2, 4]);
  });

  it('fails every item with the batch error when the failure is not an item\'s (no retries)', async () => {
    const r = recorder(() => new Error('database unavailable'));
    const group = new GroupCommit(r.write, { maxBatch: 100, isItemFailure: (e) => e instanceof ItemFailure });
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => group.write(n)));
    expect(outcomes.every((o) => o.status === 'rejected' && /database unavailable/.test(String(o.reason)))).to.equal(true);
    expect(r.batches).to.deep.equal([[1, 2, 3]]);
  });

  it('keeps working after a drain ends: a later write starts a new one', async () => {
    const r = recorder();
    const group = new GroupCommit(r.write, { maxBatch: 100, isItemFailure: () => false });
    await group.write(1);
    await group.write(2);
    expect(r.batches).to.deep.equal([[1], [2]]);
  });
});
