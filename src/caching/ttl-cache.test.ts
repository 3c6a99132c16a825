import { expect } from 'chai';
import { TtlCache } from './ttl-cache.ts';

describe('TtlCache', () => {
  let now = 0;
  const clock = () => now;
  const counting = () => {
    const loads: string[] = [];
    return { loads, load: (key: string) => () => (loads.push(key), Promise.resolve(`${key}@${now}`)) };
  };

  beforeEach(() => (now = 1_000));

  it('serves a key from one load until its entry is ttlMs old, then loads it again', async () => {
    const cache = new TtlCache<string>(100, 10, clock);
    const { loads, load } = counting();
    expect(await cache.get('a', load('a'))).to.equal('a@1000');
    now += 99;
    expect(await cache.get('a', load('a'))).to.equal('a@1000');
    now += 1;
    expect(await cache.get('a', load('a'))).to.equal('a@1100');
    expect(loads).to.deep.equal(['a', 'a']);
  });

  it('shares one pending load between concurrent callers', async () => {
    const cache = new TtlCache<string>(100, 10, clock);
    const { loads, load } = counting();
    const values = await Promise.all([cache.get('a', load('a')), cache.get('a', load('a')), cache.get('a', load('a'))]);
    expect(values).to.deep.equal(['a@1000', 'a@1000', 'a@1000']);
    expect(loads).to.deep.equal(['a']);
  });

  it('evicts the oldest entry when full; a reloaded key counts as new', async () => {
    const cache = new TtlCache<string>(100, 2, clock);
    const { loads, load } = counting();
    await cache.get('a', load('a'));
    now += 10;
    await cache.get('b', load('b'));
    now += 95; // a has expired, b has not
    await cache.get('a', load('a')); // reloaded: now the newest; b is the oldest
    await cache.get('c', load('c')); // evicts b
    expect(cache.size).to.equal(2);
    await cache.get('a', load('a'));
    await cache.get('b', load('b'));
    expect(loads).to.deep.equal(['a', 'b', 'a', 'c', 'b']);
  });

  it('does not keep a failed load', async () => {
    const cache = new TtlCache<string>(100, 10, clock);
    await cache.get('a', () => Promise.reject(new Error('database down'))).catch(() => undefined);
    expect(await cache.get('a', () => Promise.resolve('recovered'))).to.equal('recovered');
  });

  it('delete(key, value) forgets only that load, not a newer one', async () => {
    const cache = new TtlCache<string>(100, 10, clock);
    const first = cache.get('a', () => Promise.resolve('first'));
    cache.delete('a');
    const second = cache.get('a', () => Promise.resolve('second'));
    cache.delete('a', first);
    expect(await cache.get('a', () => Promise.resolve('third'))).to.equal('second');
    cache.delete('a', second);
    expect(await cache.get('a', () => Promise.resolve('third'))).to.equal('third');
  });
});
