/*
 * In-memory test double for the parts of fabric-shim's ChaincodeStub and
 * ClientIdentity that LicenceAnchorContract uses.
 *
 * Semantics follow Fabric closely enough for the contract's purposes:
 *   - a MemoryLedger holds committed state and per-key history;
 *   - each transaction gets its own MemoryStub; getState reads committed state
 *     only (Fabric has no read-your-own-writes inside a transaction);
 *   - putState buffers into the transaction's write set, committed only when
 *     the transaction function resolves (a throwing transaction writes nothing);
 *   - getHistoryForKey yields committed modifications newest first, as
 *     Fabric >= 2.0 does (FAB-16303);
 *   - getTxTimestamp returns { seconds: Long, nanos } like fabric-shim 2.5;
 *   - setEvent keeps only the last event, like Fabric.
 */
import Long from 'long';
import type { Context } from 'fabric-contract-api';

export interface KeyModification {
    txId: string;
    timestamp: { seconds: Long; nanos: number };
    isDelete: boolean;
    value: Uint8Array;
}

export interface ChaincodeEventDouble {
    name: string;
    payload: Buffer;
}

export class MemoryLedger {
    public readonly state = new Map<string, Buffer>();
    public readonly history = new Map<string, KeyModification[]>();
    /** Every committed write, in commit order, for byte-level comparisons. */
    public readonly writeLog: { txId: string; key: string; value: Buffer }[] = [];
    public readonly events: (ChaincodeEventDouble & { txId: string })[] = [];
}

export interface TxOptions {
    txId: string;
    /** Unix seconds of the transaction timestamp. */
    seconds: number;
    nanos?: number;
    mspId: string;
}

export class MemoryStub {
    public readonly writes = new Map<string, Buffer>();
    public event: ChaincodeEventDouble | null = null;

    constructor(
        private readonly ledger: MemoryLedger,
        private readonly tx: TxOptions,
    ) {}

    async getState(key: string): Promise<Uint8Array> {
        const value = this.ledger.state.get(key);
        // fabric-shim returns an empty buffer for a missing key.
        return value ? Uint8Array.from(value) : new Uint8Array(0);
    }

    async putState(key: string, value: Uint8Array): Promise<void> {
        if (typeof key !== 'string' || key.length === 0) {
            throw new Error('key must be a non-empty string');
        }
        this.writes.set(key, Buffer.from(value));
    }

    createCompositeKey(objectType: string, attributes: string[]): string {
        const check = (s: unknown): void => {
            if (!s || typeof s !== 'string') {
                throw new Error('object type or attribute not a non-zero length string');
            }
        };
        check(objectType);
        attributes.forEach(check);
        return `\u0000${objectType}\u0000${attributes.map((a) => `${a}\u0000`).join('')}`;
    }

    getTxID(): string {
        return this.tx.txId;
    }

    getTxTimestamp(): { seconds: Long; nanos: number } {
        return { seconds: Long.fromNumber(this.tx.seconds, true), nanos: this.tx.nanos ?? 0 };
    }

    getHistoryForKey(key: string): AsyncIterable<KeyModification> {
        const mods = [...(this.ledger.history.get(key) ?? [])].reverse();
        return {
            async *[Symbol.asyncIterator]() {
                for (const mod of mods) {
                    yield mod;
                }
            },
        };
    }

    setEvent(name: string, payload: Uint8Array): void {
        if (typeof name !== 'string' || name === '') {
            throw new Error('Event name must be a non-empty string');
        }
        this.event = { name, payload: Buffer.from(payload) };
    }

    /** Applies the buffered write set to the ledger. */
    commit(): void {
        for (const [key, value] of [...this.writes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
            this.ledger.state.set(key, value);
            const list = this.ledger.history.get(key) ?? [];
            list.push({
                txId: this.tx.txId,
                timestamp: { seconds: Long.fromNumber(this.tx.seconds, true), nanos: this.tx.nanos ?? 0 },
                isDelete: false,
                value: Uint8Array.from(value),
            });
            this.ledger.history.set(key, list);
            this.ledger.writeLog.push({ txId: this.tx.txId, key, value });
        }
        if (this.event) {
            this.ledger.events.push({ txId: this.tx.txId, ...this.event });
        }
    }
}

export class ClientIdentityDouble {
    constructor(private readonly mspId: string) {}

    getMSPID(): string {
        return this.mspId;
    }
}

export interface TxResult<T> {
    result: T;
    stub: MemoryStub;
}

/**
 * Runs one transaction function against a fresh stub on `ledger`, committing
 * its write set only if it resolves.
 */
export async function runTx<T>(
    ledger: MemoryLedger,
    tx: TxOptions,
    fn: (ctx: Context) => Promise<T>,
): Promise<TxResult<T>> {
    const stub = new MemoryStub(ledger, tx);
    const ctx = { stub, clientIdentity: new ClientIdentityDouble(tx.mspId) } as unknown as Context;
    const result = await fn(ctx);
    stub.commit();
    return { result, stub };
}
