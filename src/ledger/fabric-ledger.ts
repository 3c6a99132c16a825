/**
 * Hyperledger Fabric ledger adapter: the Fabric Gateway client (`@hyperledger/fabric-gateway` 1.11 — 1.12
 * needs Node ≥ 22.12) over one shared gRPC client, calling the `licence-vault` chaincode in chaincode/.
 * Shaped after fabric-samples asset-transfer-basic: submitAsync + getStatus to learn the block and detect
 * a failed commit, deadlines on every step, bounded in-flight submissions (a Fabric 2.5 gateway refuses
 * more than 500 concurrent requests), retries with backoff on transient failures only.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { connect, GatewayError, hash, signers } from '@hyperledger/fabric-gateway';
import type { Contract, Gateway } from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import type { AnchoredCheckpoint, AnchorRequest, Ledger, LedgerAnchor, LedgerErrorCode, LedgerLicenceStatus, LedgerStatusRecord, StatusChange } from './ledger.ts';
import { LedgerError } from './ledger.ts';

export interface FabricLedgerConfig {
  /** host:port of the peer's gateway service. */
  endpoint: string;
  /** PEM of the TLS root CA of the peer. */
  tlsRootCertPem: string;
  /** TLS host name override when the endpoint is an IP or alias. */
  hostAlias?: string;
  mspId: string;
  certPem: string;
  keyPem: string;
  channel: string;
  chaincode: string;
  maxInFlight?: number;
}

export function fabricConfigFromEnv(env: Record<string, string | undefined>): FabricLedgerConfig | null {
  if (!env.FABRIC_GATEWAY_ENDPOINT) return null;
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`FABRIC_GATEWAY_ENDPOINT is set, so ${name} is required`);
    return v;
  };
  return {
    endpoint: env.FABRIC_GATEWAY_ENDPOINT,
    tlsRootCertPem: fs.readFileSync(need('FABRIC_TLS_ROOT_CERT'), 'utf8'),
    hostAlias: env.FABRIC_GATEWAY_HOST_ALIAS || undefined,
    mspId: need('FABRIC_MSP_ID'),
    certPem: fs.readFileSync(need('FABRIC_CERT'), 'utf8'),
    keyPem: fs.readFileSync(need('FABRIC_KEY'), 'utf8'),
    channel: env.FABRIC_CHANNEL || 'licences',
    chaincode: env.FABRIC_CHAINCODE || 'licence-vault',
  };
}

const EVALUATE_DEADLINE_MS = 5_000;
const ENDORSE_DEADLINE_MS = 15_000;
const SUBMIT_DEADLINE_MS = 5_000;
const COMMIT_STATUS_DEADLINE_MS = 60_000;
const RETRIES = 3;
/**
 * gRPC codes that mean "try again later". FAILED_PRECONDITION is here because the gateway answers it while
 * another organisation's peer is down ("no combination of peers can be derived which satisfy the
 * endorsement policy", after 1–2 s of ABORTED): an outage that ends, not a refusal. The chaincode's own
 * refusals are recognised first, by their code prefix, and are never transient.
 */
const TRANSIENT_GRPC = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED, grpc.status.ABORTED, grpc.status.FAILED_PRECONDITION]);
const CHAINCODE_CODES: LedgerErrorCode[] = ['FORK_DETECTED', 'SIZE_NOT_INCREASING', 'CONSISTENCY_PROOF_INVALID', 'TIME_NOT_INCREASING', 'ACCESS_DENIED', 'INVALID_ARGUMENT'];

/** The chaincode's records (chaincode/src/licenceAnchorContract.ts), as its transactions return them. */
interface CheckpointRecord { origin: string; size: number; rootHex: string; txId: string; anchoredAt: string }
interface StatusRecord { licenceId: string; status: LedgerLicenceStatus; reasonHashHex: string; txId: string; changedAt: string; recordedAt?: string }

function statusFromRecord(r: StatusRecord): LedgerStatusRecord {
  // Records written before changes carried their own time hold the ledger's time as changedAt only.
  return { licenceId: r.licenceId, status: r.status, reasonSha256: r.reasonHashHex, txId: r.txId, changedAt: r.changedAt, recordedAt: r.recordedAt ?? r.changedAt };
}

export class FabricLedger implements Ledger {
  readonly kind = 'fabric' as const;
  private readonly client: grpc.Client;
  private readonly gateway: Gateway;
  private readonly contract: Contract;
  /** The system chaincode that answers which block holds a transaction. */
  private readonly qscc: Contract;
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly config: FabricLedgerConfig) {
    this.client = new grpc.Client(config.endpoint, grpc.credentials.createSsl(Buffer.from(config.tlsRootCertPem)), config.hostAlias ? { 'grpc.ssl_target_name_override': config.hostAlias } : {});
    this.gateway = connect({
      client: this.client,
      identity: { mspId: config.mspId, credentials: Buffer.from(config.certPem) },
      signer: signers.newPrivateKeySigner(crypto.createPrivateKey(config.keyPem)),
      hash: hash.sha256,
      evaluateOptions: () => ({ deadline: Date.now() + EVALUATE_DEADLINE_MS }),
      endorseOptions: () => ({ deadline: Date.now() + ENDORSE_DEADLINE_MS }),
      submitOptions: () => ({ deadline: Date.now() + SUBMIT_DEADLINE_MS }),
      commitStatusOptions: () => ({ deadline: Date.now() + COMMIT_STATUS_DEADLINE_MS }),
    });
    const network = this.gateway.getNetwork(config.channel);
    this.contract = network.getContract(config.chaincode);
    this.qscc = network.getContract('qscc');
  }

  async anchorCheckpoint(request: AnchorRequest): Promise<LedgerAnchor> {
    const args = [request.origin, String(request.size), Buffer.from(request.rootHash).toString('hex'), JSON.stringify(request.consistencyProof.map((p) => Buffer.from(p).toString('hex')))];
    const { record, txId, blockNumber } = await this.submit<CheckpointRecord>('AnchorCheckpoint', args);
    return this.anchorOf(record.txId, record.anchoredAt, record.txId === txId ? blockNumber : null);
  }

  async getAnchoredCheckpoint(origin: string): Promise<AnchoredCheckpoint | null> {
    const record = await this.evaluate<CheckpointRecord>('GetCheckpoint', [origin]);
    if (!record) return null;
    return { origin: record.origin, size: record.size, rootHash: new Uint8Array(Buffer.from(record.rootHex, 'hex')), txId: record.txId, blockNumber: await this.blockNumberOf(record.txId), anchoredAt: record.anchoredAt };
  }

  async setLicenceStatus(change: StatusChange): Promise<LedgerAnchor> {
    const { record, txId, blockNumber } = await this.submit<StatusRecord>('SetStatus', [change.origin, change.licenceId, change.status, change.reasonSha256, change.changedAt]);
    return this.anchorOf(record.txId, record.recordedAt ?? record.changedAt, record.txId === txId ? blockNumber : null);
  }

  async getLicenceStatus(origin: string, licenceId: string, atTime?: Date): Promise<LedgerStatusRecord | null> {
    if (!atTime) {
      const r = await this.evaluate<StatusRecord>('GetStatus', [origin, licenceId]);
      return r ? statusFromRecord(r) : null;
    }
    const history = await this.statusHistory(origin, licenceId);
    return history.filter((h) => Date.parse(h.changedAt) <= atTime.getTime()).at(-1) ?? null;
  }

  async statusHistory(origin: string, licenceId: string): Promise<LedgerStatusRecord[]> {
    const entries = (await this.evaluate<Array<{ value: StatusRecord | null }>>('GetStatusHistory', [origin, licenceId])) ?? [];
    // Fabric returns history newest first; callers want them in the order they were made (the chaincode
    // refuses a change earlier than the last one, so that is also the order they were recorded in).
    return entries
      .filter((e) => e.value)
      .map((e) => statusFromRecord(e.value!))
      .sort((a, b) => Date.parse(a.changedAt) - Date.parse(b.changedAt) || Date.parse(a.recordedAt) - Date.parse(b.recordedAt));
  }

  /**
   * A receipt cites the transaction that wrote the record. When a retry found the record already written
   * (the chaincode answers with the stored one and writes nothing), that is an earlier transaction: its
   * block is looked up instead of citing the no-op's.
   */
  private async anchorOf(txId: string, ledgerTime: string, knownBlock: number | null): Promise<LedgerAnchor> {
    return {
      network: 'fabric', channel: this.config.channel, chaincode: this.config.chaincode, txId,
      blockNumber: knownBlock ?? (await this.blockNumberOf(txId)), anchoredAt: ledgerTime,
    };
  }

  /** The number of the block holding `txId` (qscc GetBlockByTxID), or null when the peer cannot say. */
  private async blockNumberOf(txId: string): Promise<number | null> {
    try {
      const bytes = await this.withRetries(() => this.qscc.evaluateTransaction('GetBlockByTxID', this.config.channel, txId));
      const header = common.Block.deserializeBinary(bytes).getHeader();
      return header ? header.getNumber() : null;
    } catch (error) {
      const mapped = toLedgerError(error);
      if (mapped.kind === 'unavailable') throw mapped;
      return null; // this identity may not read qscc: the receipt still names the transaction
    }
  }

  async ping(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.client.waitForReady(Date.now() + 3000, (error) => (error ? reject(new LedgerError('LEDGER_UNAVAILABLE', error.message, true)) : resolve())));
  }

  async close(): Promise<void> {
    this.gateway.close();
    this.client.close();
  }

  /** Submits and waits for the commit; returns the chaincode's answer (the record as stored), the tx and its block. */
  private async submit<T>(name: string, args: string[]): Promise<{ record: T; txId: string; blockNumber: number }> {
    return this.withRetries(async () => {
      await this.acquire();
      try {
        const commit = await this.contract.submitAsync(name, { arguments: args });
        const status = await commit.getStatus();
        if (!status.successful) {
          // MVCC_READ_CONFLICT (11) and PHANTOM_READ_CONFLICT (12) are races with another writer: worth a
          // retry. Any other validation code (ENDORSEMENT_POLICY_FAILURE, 10, say) is not an outage.
          const race = status.code === 11 || status.code === 12;
          throw new LedgerError(race ? 'LEDGER_UNAVAILABLE' : 'COMMIT_INVALID', `transaction ${status.transactionId} failed to commit with validation code ${status.code}`, race);
        }
        const record = JSON.parse(Buffer.from(commit.getResult()).toString('utf8')) as T;
        return { record, txId: status.transactionId, blockNumber: Number(status.blockNumber) };
      } finally {
        this.release();
      }
    });
  }

  private async evaluate<T>(name: string, args: string[]): Promise<T | null> {
    return this.withRetries(async () => {
      try {
        const bytes = await this.contract.evaluateTransaction(name, ...args);
        return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
      } catch (error) {
        if (toLedgerError(error).message.includes('NOT_FOUND')) return null;
        throw error;
      }
    });
  }

  private async withRetries<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const mapped = toLedgerError(error);
        if (!mapped.transient || attempt >= RETRIES) throw mapped;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  private async acquire(): Promise<void> {
    const max = this.config.maxInFlight ?? 100;
    while (this.inFlight >= max) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.inFlight += 1;
  }

  private release(): void {
    this.inFlight -= 1;
    this.waiters.shift()?.();
  }
}

/** Maps gateway errors to stable codes: chaincode messages carry "CODE: …" prefixes (chaincode/src/errors.ts). */
export function toLedgerError(error: unknown): LedgerError {
  if (error instanceof LedgerError) return error;
  if (error instanceof GatewayError) {
    const messages = [error.message, ...error.details.map((d) => d.message)].join(' | ');
    const code = CHAINCODE_CODES.find((c) => messages.includes(`${c}:`));
    if (code) return new LedgerError(code, messages, false);
    return new LedgerError('LEDGER_UNAVAILABLE', messages, TRANSIENT_GRPC.has(error.code));
  }
  return new LedgerError('LEDGER_UNAVAILABLE', (error as Error)?.message ?? String(error), true);
}
