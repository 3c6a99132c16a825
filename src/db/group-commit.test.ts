import { expect } from 'chai';
import { GroupCommit } from './group-commit.ts';

describe('GroupCommit', () => {
  /** A writer that records its batches and finishes each when told. */
  function controlledWriter() {
    const batches: number[][] = [];
    const finish: Array<() => void> = [];
    const write = (items: number[]) => {
      batches.push(items);
      return new Promise<number[]>((resolve) => finish.push(() => resolve(items.map((n) => n * 10))));
    };
    return { batches, finish, write };
  }

  it('writes a lone item at once, and what arrives meanwhile together in the next batch, in order', async () => {
    const w = controlledWriter();
    const group = new GroupCommit(w.write);
    const first = group.submit(1);
    expect(w.batches).to.deep.equal([[1]]);
    const rest = [2, 3, 4].map((n) => group.submit(n));
    expect(w.batches).to.have.length(1); // waiting for the batch in flight
    w.finish[0]!();
    expect(await first).to.equal(10);
    expect(w.batches).to.deep.equal([[1], [2, 3, 4]]);
    w.finish[1]!();
    expect(await Promise.all(rest)).to.deep.equal([20, 30, 40]);
  });

  it('splits what waits into batches of at most maxBatch', async () => {
    const w = controlledWriter();
    const group = new GroupCommit(w.write, { maxBatch: 2 });
    const all = [1, 2, 3, 4, 5].map((n) => group.submit(n));
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      w.finish[i]!();
    }
    expect(await Promise.all(all)).to.deep.equal([10, 20, 30, 40, 50]);
    expect(w.batches).to.deep.equal([[1], [2, 3], [4, 5]]);
  });

  it('rejects every item of a failed batch when the failure is not the items\' fault, and goes on with the next', async () => {
    let calls = 0;
    const group = new GroupCommit<number, number>(async (items) => {
      calls += 1;
      if (calls === 2) throw new Error('connection lost');
      return items;
    }, { retryAlone: (error) => (error as Error).message !== 'connection lost' });
    const first = group.submit(1);
    const failed = [group.submit(2), group.submit(3)].map((p) => p.then(() => 'written', (e: Error) => e.message));
    expect(await first).to.equal(1);
    expect(await Promise.all(failed)).to.deep.equal(['connection lost', 'connection lost']);
    expect(calls).to.equal(2); // no retry one by one during an outage
    expect(await group.submit(4)).to.equal(4);
  });

  it('writes the items of a batch refused for one item again one by one, so only that item fails', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      if (items.includes(13)) throw new Error('value out of range');
      return items;
    }, { retryAlone: () => true });
    const first = group.submit(1);
    const rest = [12, 13, 14].map((n) => group.submit(n).then((r) => r, (e: Error) => e.message));
    expect(await first).to.equal(1);
    expect(await Promise.all(rest)).to.deep.equal([12, 'value out of range', 14]);
    expect(batches).to.deep.equal([[1], [12, 13, 14], [12], [13], [14]]);
  });

  it('rejects a batch whose writer returns the wrong number of results', async () => {
    const group = new GroupCommit<number, number>(async () => []);
    const error = await group.submit(1).then(() => null, (e: Error) => e);
    expect(error?.message).to.match(/0 results for 1 items/);
  });
});
