/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Licence Vault anchor chaincode.
 *
 * Anchors transparency-log checkpoints (origin, tree size, root hash) and
 * licence status changes on a Fabric channel. Every state value is canonical
 * JSON (see canonicalJson.ts) and depends only on the transaction inputs,
 * the transaction id and the transaction timestamp, so every endorsing peer
 * produces byte-identical write sets. Nothing here reads the clock or a
 * random source.
 */
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import { canonicalJson, canonicalJsonBytes } from './canonicalJson';
import { ErrorCode, fail } from './errors';
import { verifyConsistency } from './merkle';
import {
    type LicenceStatus,
    parseHex64,
    parseChangeTime,
    parseIdentifier,
    parseMspIdList,
    parseProof,
    parseStatus,
    parseTreeSize,
} from './validation';

export const CONFIG_KEY = 'config';
export const CHECKPOINT_OBJECT_TYPE = 'checkpoint';
export const STATUS_OBJECT_TYPE = 'status';
export const CHECKPOINT_ANCHORED_EVENT = 'CheckpointAnchored';
export const LICENCE_STATUS_CHANGED_EVENT = 'LicenceStatusChanged';

export interface ContractConfig {
    writerMspIds: string[];
}

export interface CheckpointRecord {
    origin: string;
    size: number;
    rootHex: string;
    txId: string;
    anchoredAt: string;
    previousSize: number;
    previousRootHex: string | null;
}

export interface StatusRecord {
    /** The log the licence was issued in: two vaults on one channel never share a licence's status. */
    origin: string;
    licenceId: string;
    status: LicenceStatus;
    reasonHashHex: string;
    txId: string;
    /** When the department made the change (the time in the vault's log leaf). */
    changedAt: string;
    /** When the ledger recorded it: this transaction's timestamp (later than changedAt after an outage). */
    recordedAt: string;
}

/** How far a change's own time may run ahead of the transaction's timestamp (clock skew between hosts). */
export const MAX_CHANGE_TIME_AHEAD_MS = 5 * 60 * 1000;

export interface HistoryEntry {
    txId: string;
    timestamp: string;
    value: unknown;
}

interface TimestampLike {
    seconds: { toString(): string } | number | bigint | string;
    nanos?: number;
}

/** ISO-8601 (UTC, millisecond precision) from a protobuf Timestamp; seconds may be a Long. */
export function timestampToIso(ts: TimestampLike | undefined | null): string {
    if (!ts || ts.seconds === undefined || ts.seconds === null) {
        return fail(ErrorCode.INTERNAL, 'missing timestamp');
    }
    const seconds = Number(ts.seconds.toString());
    const nanos = ts.nanos ?? 0;
    if (!Number.isSafeInteger(seconds) || !Number.isInteger(nanos)) {
        return fail(ErrorCode.INTERNAL, 'malformed timestamp');
    }
    return new Date(seconds * 1000 + Math.floor(nanos / 1_000_000)).toISOString();
}

function hexToBytes(hex: string): Buffer {
    return Buffer.from(hex, 'hex');
}

@Info({
    title: 'LicenceAnchorContract',
    description: 'Anchors Licence Vault transparency-log checkpoints and licence status changes',
})
export class LicenceAnchorContract extends Contract {
    constructor() {
        super('LicenceAnchorContract');
    }

    // ---------------------------------------------------------------- config

    /**
     * Sets the MSP ids allowed to write. Callable by anyone while the contract
     * is unconfigured (bootstrap; pair it with the chaincode endorsement policy)
     * and afterwards only by a current writer MSP.
     */
    @Transaction()
    @Returns('string')
    public async Configure(ctx: Context, writerMspIdsJson: string): Promise<string> {
        const writerMspIds = parseMspIdList(writerMspIdsJson, 'writerMspIdsJson');
        const current = await this.readConfig(ctx);
        if (current !== null) {
            this.assertWriter(ctx, current);
        }
        const config: ContractConfig = { writerMspIds };
        await ctx.stub.putState(CONFIG_KEY, canonicalJsonBytes(config));
        return canonicalJson(config);
    }

    @Transaction(false)
    @Returns('string')
    public async GetConfig(ctx: Context): Promise<string> {
        const config = await this.readConfig(ctx);
        if (config === null) {
            return fail(ErrorCode.NOT_FOUND, 'contract is not configured');
        }
        return canonicalJson(config);
    }

    // ----------------------------------------------------------- checkpoints

    @Transaction()
    @Returns('string')
    public async AnchorCheckpoint(
        ctx: Context,
        origin: string,
        size: string,
        rootHex: string,
        consistencyProofJson: string,
    ): Promise<string> {
        const validOrigin = parseIdentifier(origin, 'origin');
        const newSize = parseTreeSize(size, 'size');
        const newRoot = parseHex64(rootHex, 'rootHex');
        const proof = parseProof(consistencyProofJson, 'consistencyProofJson');
        if (newSize < 1) {
            fail(ErrorCode.INVALID_ARGUMENT, 'size must be at least 1');
        }

        await this.assertWriterFromState(ctx);

        const key = ctx.stub.createCompositeKey(CHECKPOINT_OBJECT_TYPE, [validOrigin]);
        const stored = await this.readJson<CheckpointRecord>(ctx, key);

        let previousSize = 0;
        let previousRootHex: string | null = null;
        if (stored === null) {
            if (proof.length !== 0) {
                fail(ErrorCode.INVALID_ARGUMENT, 'the first anchor for an origin must carry an empty consistency proof');
            }
        } else {
            if (newSize === stored.size) {
                if (newRoot === stored.rootHex) {
                    // Idempotent retry: nothing written, no event.
                    return canonicalJson(stored);
                }
                fail(
                    ErrorCode.FORK_DETECTED,
                    `origin ${validOrigin} already anchored size ${stored.size} with root ${stored.rootHex}, got root ${newRoot}`,
                );
            }
            if (newSize < stored.size) {
                fail(
                    ErrorCode.SIZE_NOT_INCREASING,
                    `origin ${validOrigin} already anchored size ${stored.size}, got ${newSize}`,
                );
            }
            const ok = verifyConsistency(
                stored.size,
                newSize,
                hexToBytes(stored.rootHex),
                hexToBytes(newRoot),
                proof.map(hexToBytes),
            );
            if (!ok) {
                fail(
                    ErrorCode.CONSISTENCY_PROOF_INVALID,
                    `proof does not show tree ${stored.size}/${stored.rootHex} is a prefix of ${newSize}/${newRoot}`,
                );
            }
            previousSize = stored.size;
            previousRootHex = stored.rootHex;
        }

        const record: CheckpointRecord = {
            origin: validOrigin,
            size: newSize,
            rootHex: newRoot,
            txId: ctx.stub.getTxID(),
            anchoredAt: timestampToIso(ctx.stub.getTxTimestamp()),
            previousSize,
            previousRootHex,
        };
        const bytes = canonicalJsonBytes(record);
        await ctx.stub.putState(key, bytes);
        ctx.stub.setEvent(CHECKPOINT_ANCHORED_EVENT, bytes);
        return bytes.toString('utf8');
    }

    @Transaction(false)
    @Returns('string')
    public async GetCheckpoint(ctx: Context, origin: string): Promise<string> {
        const key = ctx.stub.createCompositeKey(CHECKPOINT_OBJECT_TYPE, [parseIdentifier(origin, 'origin')]);
        const stored = await ctx.stub.getState(key);
        if (!stored || stored.length === 0) {
            return fail(ErrorCode.NOT_FOUND, `no checkpoint anchored for origin ${origin}`);
        }
        return Buffer.from(stored).toString('utf8');
    }

    @Transaction(false)
    @Returns('string')
    public async GetCheckpointHistory(ctx: Context, origin: string): Promise<string> {
        const key = ctx.stub.createCompositeKey(CHECKPOINT_OBJECT_TYPE, [parseIdentifier(origin, 'origin')]);
        return canonicalJson(await this.readHistory(ctx, key));
    }

    // ---------------------------------------------------------------- status

    @Transaction()
    @Returns('string')
    public async SetStatus(ctx: Context, origin: string, licenceId: string, status: string, reasonHashHex: string, changedAt: string): Promise<string> {
        const validOrigin = parseIdentifier(origin, 'origin');
        const validId = parseIdentifier(licenceId, 'licenceId');
        const validStatus = parseStatus(status, 'status');
        const reasonHash = parseHex64(reasonHashHex, 'reasonHashHex');
        const changeTime = parseChangeTime(changedAt, 'changedAt');

        await this.assertWriterFromState(ctx);

        // The change keeps the department's time (a write queued through an outage reaches the ledger
        // later, but "valid at T" is decided by when the licence was revoked), beside the ledger's own.
        const recordedAt = timestampToIso(ctx.stub.getTxTimestamp());
        if (Date.parse(changeTime) > Date.parse(recordedAt) + MAX_CHANGE_TIME_AHEAD_MS) {
            fail(ErrorCode.INVALID_ARGUMENT, `changedAt ${changeTime} is in the future of this transaction (${recordedAt})`);
        }

        const key = ctx.stub.createCompositeKey(STATUS_OBJECT_TYPE, [validOrigin, validId]);
        const stored = await this.readJson<StatusRecord>(ctx, key);
        if (stored !== null && stored.status === validStatus && stored.reasonHashHex === reasonHash && stored.changedAt === changeTime) {
            // Idempotent retry: nothing written, no event.
            return canonicalJson(stored);
        }
        if (stored !== null && changeTime < stored.changedAt) {
            fail(
                ErrorCode.TIME_NOT_INCREASING,
                `licence ${validId} last changed at ${stored.changedAt}; a change at ${changeTime} cannot come after it`,
            );
        }

        const record: StatusRecord = {
            origin: validOrigin,
            licenceId: validId,
            status: validStatus,
            reasonHashHex: reasonHash,
            txId: ctx.stub.getTxID(),
            changedAt: changeTime,
            recordedAt,
        };
        const bytes = canonicalJsonBytes(record);
        await ctx.stub.putState(key, bytes);
        ctx.stub.setEvent(LICENCE_STATUS_CHANGED_EVENT, bytes);
        return bytes.toString('utf8');
    }

    @Transaction(false)
    @Returns('string')
    public async GetStatus(ctx: Context, origin: string, licenceId: string): Promise<string> {
        const key = ctx.stub.createCompositeKey(STATUS_OBJECT_TYPE, [parseIdentifier(origin, 'origin'), parseIdentifier(licenceId, 'licenceId')]);
        const stored = await ctx.stub.getState(key);
        if (!stored || stored.length === 0) {
            return fail(ErrorCode.NOT_FOUND, `no status recorded for licence ${licenceId}`);
        }
        return Buffer.from(stored).toString('utf8');
    }

    @Transaction(false)
    @Returns('string')
    public async GetStatusHistory(ctx: Context, origin: string, licenceId: string): Promise<string> {
        const key = ctx.stub.createCompositeKey(STATUS_OBJECT_TYPE, [parseIdentifier(origin, 'origin'), parseIdentifier(licenceId, 'licenceId')]);
        return canonicalJson(await this.readHistory(ctx, key));
    }

    // --------------------------------------------------------------- helpers

    private async readJson<T>(ctx: Context, key: string): Promise<T | null> {
        const bytes = await ctx.stub.getState(key);
        if (!bytes || bytes.length === 0) {
            return null;
        }
        try {
            return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
        } catch {
            return fail(ErrorCode.INTERNAL, `stored value under ${JSON.stringify(key)} is not JSON`);
        }
    }

    private async readConfig(ctx: Context): Promise<ContractConfig | null> {
        const config = await this.readJson<ContractConfig>(ctx, CONFIG_KEY);
        if (config !== null && !Array.isArray(config.writerMspIds)) {
            return fail(ErrorCode.INTERNAL, 'stored config is malformed');
        }
        return config;
    }

    private assertWriter(ctx: Context, config: ContractConfig): void {
        const mspId = ctx.clientIdentity.getMSPID();
        if (!config.writerMspIds.includes(mspId)) {
            fail(ErrorCode.ACCESS_DENIED, `MSP ${mspId} is not an allowed writer`);
        }
    }

    private async assertWriterFromState(ctx: Context): Promise<void> {
        const config = await this.readConfig(ctx);
        if (config === null) {
            fail(ErrorCode.ACCESS_DENIED, 'contract is not configured; call Configure first');
        }
        this.assertWriter(ctx, config);
    }

    /** Key history in the order the ledger returns it (Fabric >= 2.0: newest first). */
    private async readHistory(ctx: Context, key: string): Promise<HistoryEntry[]> {
        const entries: HistoryEntry[] = [];
        for await (const mod of ctx.stub.getHistoryForKey(key)) {
            let value: unknown = null;
            if (!mod.isDelete && mod.value && mod.value.length > 0) {
                const text = Buffer.from(mod.value).toString('utf8');
                try {
                    value = JSON.parse(text) as unknown;
                } catch {
                    value = text;
                }
            }
            entries.push({ txId: mod.txId, timestamp: timestampToIso(mod.timestamp), value });
        }
        return entries;
    }
}
