import { expect } from 'chai';
import type { Context } from 'fabric-contract-api';

import { canonicalJson } from '../src/canonicalJson';
import { contracts } from '../src/index';
import {
    CHECKPOINT_ANCHORED_EVENT,
    CONFIG_KEY,
    LICENCE_STATUS_CHANGED_EVENT,
    LicenceAnchorContract,
} from '../src/licenceAnchorContract';
import { consistencyProof, hex, mth, RFC_LEAVES, RFC_ROOTS_HEX, syntheticLeaves } from './support/merkleReference';
import { MemoryLedger, runTx, type TxOptions } from './support/memoryStub';

const WRITER = 'LicenceIssuerMSP';
const OTHER = 'AuditorMSP';
const ORIGIN = 'licence-vault.example/log';
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const root = (n: number): string => RFC_ROOTS_HEX[n - 1] as string;
const proofJson = (m: number, n: number): string => JSON.stringify(consistencyProof(m, RFC_LEAVES.slice(0, n)).map(hex));
const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
/** A department's time of a change, `sec` seconds after T0 (transactions run at T0 + 60·n s). */
const when = (sec: number): string => new Date((T0 + sec) * 1000).toISOString();

/** Drives the contract against one in-memory ledger with sequential tx ids and timestamps. */
class Harness {
    public readonly ledger = new MemoryLedger();
    public readonly contract = new LicenceAnchorContract();
    private seq = 0;

    async tx<T>(fn: (c: LicenceAnchorContract, ctx: Context) => Promise<T>, mspId = WRITER): Promise<T> {
        this.seq++;
        const opts: TxOptions = {
            txId: `tx${String(this.seq).padStart(4, '0')}`,
            seconds: T0 + this.seq * 60,
            nanos: 123_456_789,
            mspId,
        };
        return (await runTx(this.ledger, opts, (ctx) => fn(this.contract, ctx))).result;
    }

    async configure(ids: string[] = [WRITER]): Promise<string> {
        return this.tx((c, ctx) => c.Configure(ctx, JSON.stringify(ids)));
    }

    async anchor(size: number, rootHex: string, proof = '[]', mspId = WRITER, origin = ORIGIN): Promise<string> {
        return this.tx((c, ctx) => c.AnchorCheckpoint(ctx, origin, String(size), rootHex, proof), mspId);
    }

    /** Asserts the promise rejects with an Error whose message starts with `code:`. */
    async rejects(p: Promise<unknown>, code: string): Promise<Error> {
        try {
            await p;
        } catch (err) {
            expect(err).to.be.instanceOf(Error);
            expect((err as Error).message).to.match(new RegExp(`^${code}: `));
            return err as Error;
        }
        throw new Error(`expected rejection with ${code}`);
    }
}

describe('LicenceAnchorContract', () => {
    describe('Configure', () => {
        it('is open while unconfigured, then restricted to current writers', async () => {
            const h = new Harness();
            expect(await h.configure([WRITER, 'B-MSP', WRITER])).to.equal(`{"writerMspIds":["B-MSP","${WRITER}"]}`);
            await h.rejects(
                h.tx((c, ctx) => c.Configure(ctx, JSON.stringify([OTHER])), OTHER),
                'ACCESS_DENIED',
            );
            expect(await h.tx((c, ctx) => c.Configure(ctx, JSON.stringify([WRITER, OTHER])))).to.equal(
                `{"writerMspIds":["${OTHER}","${WRITER}"]}`,
            );
            expect(await h.tx((c, ctx) => c.GetConfig(ctx), OTHER)).to.equal(
                `{"writerMspIds":["${OTHER}","${WRITER}"]}`,
            );
        });

        it('rejects malformed MSP lists', async () => {
            const h = new Harness();
            for (const bad of ['', 'nope', '[]', '{}', '[""]', '[1]', '["a\\u0000b"]', '[" padded"]']) {
                await h.rejects(
                    h.tx((c, ctx) => c.Configure(ctx, bad)),
                    'INVALID_ARGUMENT',
                );
            }
            await h.rejects(
                h.tx((c, ctx) => c.GetConfig(ctx)),
                'NOT_FOUND',
            );
        });

        it('writes are denied before Configure', async () => {
            const h = new Harness();
            await h.rejects(h.anchor(1, root(1)), 'ACCESS_DENIED');
            await h.rejects(
                h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'L1', 'active', HASH_A, when(1))),
                'ACCESS_DENIED',
            );
        });
    });

    describe('AnchorCheckpoint', () => {
        it('accepts the first anchor with an empty proof and records it', async () => {
            const h = new Harness();
            await h.configure();
            const out = await h.anchor(3, root(3));
            const record = JSON.parse(out);
            expect(record).to.deep.equal({
                anchoredAt: new Date((T0 + 120) * 1000 + 123).toISOString(),
                origin: ORIGIN,
                previousRootHex: null,
                previousSize: 0,
                rootHex: root(3),
                size: 3,
                txId: 'tx0002',
            });
            expect(out).to.equal(canonicalJson(record));
            expect(await h.tx((c, ctx) => c.GetCheckpoint(ctx, ORIGIN), OTHER)).to.equal(out);
            const event = h.ledger.events.at(-1);
            expect(event?.name).to.equal(CHECKPOINT_ANCHORED_EVENT);
            expect(event?.payload.toString('utf8')).to.equal(out);
        });

        it('rejects a non-empty proof on the first anchor, and size 0', async () => {
            const h = new Harness();
            await h.configure();
            await h.rejects(h.anchor(3, root(3), proofJson(1, 3)), 'INVALID_ARGUMENT');
            await h.rejects(h.anchor(0, root(1)), 'INVALID_ARGUMENT');
        });

        it('accepts a growing anchor with a valid consistency proof', async () => {
            const h = new Harness();
            await h.configure();
            await h.anchor(3, root(3));
            const out = JSON.parse(await h.anchor(7, root(7), proofJson(3, 7)));
            expect(out).to.include({ size: 7, rootHex: root(7), previousSize: 3, previousRootHex: root(3), txId: 'tx0003' });
            const out2 = JSON.parse(await h.anchor(8, root(8).toUpperCase(), JSON.stringify(JSON.parse(proofJson(7, 8)).map((s: string) => s.toUpperCase()))));
            expect(out2).to.include({ size: 8, rootHex: root(8), previousSize: 7, previousRootHex: root(7) });
        });

        it('walks a synthetic log through many growth steps', async () => {
            const h = new Harness();
            await h.configure();
            const leaves = syntheticLeaves(200);
            let prev = 0;
            for (const size of [1, 2, 5, 8, 9, 16, 17, 100, 127, 128, 129, 200]) {
                const proof = prev === 0 ? [] : consistencyProof(prev, leaves.slice(0, size)).map(hex);
                const out = JSON.parse(await h.anchor(size, hex(mth(leaves.slice(0, size))), JSON.stringify(proof)));
                expect(out.size).to.equal(size);
                expect(out.previousSize).to.equal(prev);
                prev = size;
            }
        });

        it('is an idempotent no-op for the same size and root', async () => {
            const h = new Harness();
            await h.configure();
            const first = await h.anchor(4, root(4));
            const writes = h.ledger.writeLog.length;
            const events = h.ledger.events.length;
            expect(await h.anchor(4, root(4))).to.equal(first);
            expect(h.ledger.writeLog.length).to.equal(writes);
            expect(h.ledger.events.length).to.equal(events);
        });

        it('rejects a shrinking anchor', async () => {
            const h = new Harness();
            await h.configure();
            await h.anchor(6, root(6));
            await h.rejects(h.anchor(5, root(5)), 'SIZE_NOT_INCREASING');
        });

        it('rejects a fork: same size, different root', async () => {
            const h = new Harness();
            await h.configure();
            await h.anchor(6, root(6));
            await h.rejects(h.anchor(6, root(5)), 'FORK_DETECTED');
        });

        it('rejects a fork: larger size whose proof does not link to the stored root', async () => {
            const h = new Harness();
            await h.configure();
            await h.anchor(4, root(4));
            const forked = [...RFC_LEAVES.slice(0, 3), Buffer.from('ff', 'hex'), ...RFC_LEAVES.slice(4)];
            const forkRoot = hex(mth(forked.slice(0, 8)));
            const forkProof = JSON.stringify(consistencyProof(4, forked.slice(0, 8)).map(hex));
            await h.rejects(h.anchor(8, forkRoot, forkProof), 'CONSISTENCY_PROOF_INVALID');
            // A genuine proof paired with the forked root fails too, and so does an empty proof.
            await h.rejects(h.anchor(8, forkRoot, proofJson(4, 8)), 'CONSISTENCY_PROOF_INVALID');
            await h.rejects(h.anchor(8, root(8), '[]'), 'CONSISTENCY_PROOF_INVALID');
            // A proof for a different starting size.
            await h.rejects(h.anchor(8, root(8), proofJson(3, 8)), 'CONSISTENCY_PROOF_INVALID');
            // Nothing was written by the rejected transactions.
            expect(JSON.parse(await h.tx((c, ctx) => c.GetCheckpoint(ctx, ORIGIN))).size).to.equal(4);
            expect(JSON.parse(await h.anchor(8, root(8), proofJson(4, 8))).size).to.equal(8);
        });

        it('rejects writers outside the configured MSPs', async () => {
            const h = new Harness();
            await h.configure();
            const err = await h.rejects(h.anchor(1, root(1), '[]', OTHER), 'ACCESS_DENIED');
            expect(err.message).to.contain(OTHER);
            expect(h.ledger.writeLog.map((w) => w.key)).to.deep.equal([CONFIG_KEY]);
        });

        it('rejects malformed arguments', async () => {
            const h = new Harness();
            await h.configure();
            const bad: [string, string, string, string][] = [
                ['', '1', root(1), '[]'],
                ['a\u0000b', '1', root(1), '[]'],
                ['x'.repeat(257), '1', root(1), '[]'],
                [ORIGIN, '-1', root(1), '[]'],
                [ORIGIN, '01', root(1), '[]'],
                [ORIGIN, '1.0', root(1), '[]'],
                [ORIGIN, '9007199254740992', root(1), '[]'],
                [ORIGIN, '1', root(1).slice(2), '[]'],
                [ORIGIN, '1', `${root(1).slice(2)}zz`, '[]'],
                [ORIGIN, '1', root(1), 'not json'],
                [ORIGIN, '1', root(1), '{}'],
                [ORIGIN, '1', root(1), '["abc"]'],
                [ORIGIN, '1', root(1), JSON.stringify(Array(129).fill(root(1)))],
            ];
            for (const [origin, size, rootHex, proof] of bad) {
                await h.rejects(
                    h.tx((c, ctx) => c.AnchorCheckpoint(ctx, origin, size, rootHex, proof)),
                    'INVALID_ARGUMENT',
                );
            }
        });

        it('keeps origins independent', async () => {
            const h = new Harness();
            await h.configure();
            await h.anchor(8, root(8), '[]', WRITER, 'log-a');
            await h.anchor(2, root(2), '[]', WRITER, 'log-b');
            expect(JSON.parse(await h.tx((c, ctx) => c.GetCheckpoint(ctx, 'log-a'))).size).to.equal(8);
            expect(JSON.parse(await h.tx((c, ctx) => c.GetCheckpoint(ctx, 'log-b'))).size).to.equal(2);
        });

        it('GetCheckpoint throws NOT_FOUND for an unknown origin', async () => {
            const h = new Harness();
            await h.rejects(
                h.tx((c, ctx) => c.GetCheckpoint(ctx, 'nowhere')),
                'NOT_FOUND',
            );
        });

        it('GetCheckpointHistory lists every anchor as the ledger returns it (newest first)', async () => {
            const h = new Harness();
            await h.configure();
            await h.anchor(2, root(2));
            await h.anchor(5, root(5), proofJson(2, 5));
            await h.anchor(5, root(5)); // idempotent: no history entry
            await h.anchor(8, root(8), proofJson(5, 8));
            const history = JSON.parse(await h.tx((c, ctx) => c.GetCheckpointHistory(ctx, ORIGIN), OTHER));
            expect(history.map((e: { txId: string }) => e.txId)).to.deep.equal(['tx0005', 'tx0003', 'tx0002']);
            expect(history.map((e: { value: { size: number } }) => e.value.size)).to.deep.equal([8, 5, 2]);
            expect(history[0].timestamp).to.equal(new Date((T0 + 300) * 1000 + 123).toISOString());
            expect(Object.keys(history[0])).to.deep.equal(['timestamp', 'txId', 'value']);
            expect(JSON.parse(await h.tx((c, ctx) => c.GetCheckpointHistory(ctx, 'unknown')))).to.deep.equal([]);
        });
    });

    describe('licence status', () => {
        it('sets, reads and records status changes with their own time; idempotent when unchanged', async () => {
            const h = new Harness();
            await h.configure();
            const a = JSON.parse(await h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-1', 'active', HASH_A, when(100))));
            expect(a).to.deep.equal({
                changedAt: when(100),
                licenceId: 'LIC-1',
                origin: ORIGIN,
                reasonHashHex: HASH_A,
                recordedAt: new Date((T0 + 120) * 1000 + 123).toISOString(),
                status: 'active',
                txId: 'tx0002',
            });
            expect(h.ledger.events.at(-1)?.name).to.equal(LICENCE_STATUS_CHANGED_EVENT);
            const writes = h.ledger.writeLog.length;
            // Same status, reason and time: a retry, a no-op returning the stored record.
            expect(JSON.parse(await h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-1', 'active', HASH_A.toUpperCase(), when(100))))).to.deep.equal(a);
            expect(h.ledger.writeLog.length).to.equal(writes);

            await h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-1', 'suspended', HASH_B, when(200)));
            await h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-1', 'active', HASH_A, when(250)));
            // Revoked at T0+260 s during a ledger outage; the queued write reaches the ledger at T0+360 s.
            const revoked = JSON.parse(await h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-1', 'revoked', HASH_B, when(260))));
            expect(revoked).to.include({ status: 'revoked', changedAt: when(260), recordedAt: new Date((T0 + 360) * 1000 + 123).toISOString(), txId: 'tx0006' });
            expect(JSON.parse(await h.tx((c, ctx) => c.GetStatus(ctx, ORIGIN, 'LIC-1'), OTHER))).to.include({ status: 'revoked', txId: 'tx0006' });

            const history = JSON.parse(await h.tx((c, ctx) => c.GetStatusHistory(ctx, ORIGIN, 'LIC-1'), OTHER));
            expect(history.map((e: { value: { status: string } }) => e.value.status)).to.deep.equal(['revoked', 'active', 'suspended', 'active']);
            expect(history.map((e: { txId: string }) => e.txId)).to.deep.equal(['tx0006', 'tx0005', 'tx0004', 'tx0002']);
            // "Was LIC-1 valid at time T?": the newest change made at or before T decides, by its own time.
            const at = (iso: string): string | undefined =>
                history.find((e: { value: { changedAt: string } }) => e.value.changedAt <= iso)?.value.status;
            expect(at(when(150))).to.equal('active');
            expect(at(when(220))).to.equal('suspended');
            expect(at(when(300))).to.equal('revoked'); // inside the outage: revoked, though the ledger learnt it later
            expect(at(when(50))).to.equal(undefined);
        });

        it('refuses a change earlier than the licence\'s last one, a time ahead of the transaction, and a malformed time', async () => {
            const h = new Harness();
            await h.configure();
            await h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-3', 'suspended', HASH_A, when(100)));
            await h.rejects(h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-3', 'revoked', HASH_B, when(99))), 'TIME_NOT_INCREASING');
            // The same time is allowed (two changes within one millisecond).
            expect(JSON.parse(await h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-3', 'revoked', HASH_B, when(100)))).status).to.equal('revoked');
            // The fifth transaction runs at T0 + 300 s: five minutes of skew are allowed, not more.
            expect(JSON.parse(await h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-4', 'suspended', HASH_B, when(300 + 299)))).status).to.equal('suspended');
            await h.rejects(h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-6', 'revoked', HASH_B, when(360 + 301))), 'INVALID_ARGUMENT');
            for (const bad of ['2026-01-01T00:00:00Z', '2026-01-01 00:00:00.000Z', '2026-02-30T00:00:00.000Z', '', 'yesterday']) {
                await h.rejects(h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-5', 'revoked', HASH_B, bad)), 'INVALID_ARGUMENT');
            }
        });

        it('keeps one licence id\'s status apart per origin (two vaults on one channel)', async () => {
            const h = new Harness();
            await h.configure();
            await h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-7', 'revoked', HASH_A, when(100)));
            await h.rejects(h.tx((c, ctx) => c.GetStatus(ctx, 'other-vault.example/log', 'LIC-7')), 'NOT_FOUND');
            // The other vault's licence of the same id starts its own history, at its own times.
            await h.tx((c, ctx) => c.SetStatus(ctx, 'other-vault.example/log', 'LIC-7', 'suspended', HASH_B, when(50)));
            expect(JSON.parse(await h.tx((c, ctx) => c.GetStatus(ctx, ORIGIN, 'LIC-7'))).status).to.equal('revoked');
            expect(JSON.parse(await h.tx((c, ctx) => c.GetStatus(ctx, 'other-vault.example/log', 'LIC-7')))).to.include({ status: 'suspended', origin: 'other-vault.example/log' });
        });

        it('enforces writer MSP, validates arguments, NOT_FOUND on unknown licence', async () => {
            const h = new Harness();
            await h.configure();
            await h.rejects(
                h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-1', 'active', HASH_A, when(7)), OTHER),
                'ACCESS_DENIED',
            );
            for (const [id, status, reason] of [
                ['', 'active', HASH_A],
                ['LIC-1', 'expired', HASH_A],
                ['LIC-1', 'Active', HASH_A],
                ['LIC-1', 'active', 'reason text'],
                ['LIC-1', 'active', HASH_A.slice(1)],
            ] as const) {
                await h.rejects(
                    h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, id, status, reason, when(8))),
                    'INVALID_ARGUMENT',
                );
            }
            await h.rejects(
                h.tx((c, ctx) => c.GetStatus(ctx, ORIGIN, 'LIC-1')),
                'NOT_FOUND',
            );
            for (const status of ['active', 'suspended', 'revoked', 'superseded']) {
                expect(JSON.parse(await h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-2', status, HASH_A, when(9)))).status).to.equal(status);
            }
        });
    });

    describe('determinism', () => {
        async function scenario(): Promise<MemoryLedger> {
            const h = new Harness();
            await h.configure([WRITER, OTHER]);
            await h.anchor(1, root(1));
            await h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-ü-1', 'active', HASH_A, when(10)));
            await h.anchor(4, root(4), proofJson(1, 4), OTHER);
            await h.anchor(4, root(4));
            await h.rejects(h.anchor(3, root(3)), 'SIZE_NOT_INCREASING');
            await h.tx((c, ctx) => c.SetStatus(ctx, ORIGIN, 'LIC-ü-1', 'superseded', HASH_B, when(11)));
            await h.anchor(8, root(8), proofJson(4, 8));
            return h.ledger;
        }

        it('two fresh ledgers running the same transactions write byte-identical state', async () => {
            const a = await scenario();
            const b = await scenario();
            expect(a.writeLog.length).to.equal(6);
            expect(b.writeLog.length).to.equal(a.writeLog.length);
            a.writeLog.forEach((w, i) => {
                const other = b.writeLog[i];
                expect(other?.txId).to.equal(w.txId);
                expect(other?.key).to.equal(w.key);
                expect(Buffer.compare(other?.value ?? Buffer.alloc(0), w.value), `write ${i}`).to.equal(0);
            });
            expect([...a.state.keys()]).to.deep.equal([...b.state.keys()]);
            for (const [key, value] of a.state) {
                expect(value.equals(b.state.get(key) as Buffer)).to.equal(true);
            }
            expect(a.events.map((e) => e.payload.toString('hex'))).to.deep.equal(b.events.map((e) => e.payload.toString('hex')));
        });

        it('writes canonical JSON: sorted keys, no whitespace, re-serialisation is a fixed point', async () => {
            const ledger = await scenario();
            const isSorted = (v: unknown): boolean => {
                if (Array.isArray(v)) {
                    return v.every(isSorted);
                }
                if (v && typeof v === 'object') {
                    const keys = Object.keys(v);
                    return keys.every((k, i) => i === 0 || (keys[i - 1] as string) < k) && Object.values(v).every(isSorted);
                }
                return true;
            };
            for (const w of ledger.writeLog) {
                const text = w.value.toString('utf8');
                const parsed: unknown = JSON.parse(text);
                expect(isSorted(parsed), text).to.equal(true);
                expect(canonicalJson(parsed)).to.equal(text);
                expect(text).to.not.match(/\s(?=(?:[^"]*"[^"]*")*[^"]*$)/); // no whitespace outside strings
            }
            expect(ledger.writeLog[1]?.value.toString('utf8').startsWith('{"anchoredAt":')).to.equal(true);
        });
    });

    describe('fabric-contract-api wiring', () => {
        it('exports contracts = [LicenceAnchorContract] with the expected transactions', async () => {
            expect(contracts).to.deep.equal([LicenceAnchorContract]);
            const { default: ChaincodeFromContract } = await import('fabric-shim/lib/contract-spi/chaincodefromcontract.js' as string);
            const { JSONSerializer } = await import('fabric-contract-api');
            const cc = new ChaincodeFromContract(
                [LicenceAnchorContract],
                { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } },
                {},
                'licence-vault-chaincode',
                '1.0.0',
            );
            const meta = cc.metadata.contracts.LicenceAnchorContract;
            const txs = Object.fromEntries(
                meta.transactions.map((t: { name: string; tag: string[]; parameters?: { name: string }[] }) => [
                    t.name,
                    { tag: t.tag, params: (t.parameters ?? []).map((p) => p.name) },
                ]),
            );
            expect(Object.keys(txs).sort()).to.deep.equal(
                [
                    'AnchorCheckpoint',
                    'Configure',
                    'GetCheckpoint',
                    'GetCheckpointHistory',
                    'GetConfig',
                    'GetStatus',
                    'GetStatusHistory',
                    'SetStatus',
                ].sort(),
            );
            expect(txs.AnchorCheckpoint.params).to.deep.equal(['origin', 'size', 'rootHex', 'consistencyProofJson']);
            expect(txs.AnchorCheckpoint.tag).to.include('SUBMIT');
            expect(txs.SetStatus.tag).to.include('SUBMIT');
            expect(txs.GetCheckpoint.tag).to.include('EVALUATE');
            expect(txs.GetStatusHistory.tag).to.include('EVALUATE');
            expect(meta.info.title).to.equal('LicenceAnchorContract');
        });
    });
});
