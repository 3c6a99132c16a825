/**
 * The two-organisation Fabric test network (scripts/fabric-test-network.sh) as seen from a test: Org1's and
 * Org2's client identities (User1 of each org), and a way to stop and restart one organisation's peer for
 * outage tests.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers } from '@hyperledger/fabric-gateway';

import { fabricConfigFromEnv } from '../../src/ledger/fabric-ledger.ts';
import type { FabricLedgerConfig } from '../../src/ledger/fabric-ledger.ts';

export interface FabricTestNetwork {
  /** Org1MSP's User1 through peer0.org1's gateway (FABRIC_* variables). */
  org1: FabricLedgerConfig;
  /** Org2MSP's User1 through peer0.org2's gateway (FABRIC_ORG2_* variables). */
  org2: FabricLedgerConfig;
  /** Where the settings came from: "environment (FABRIC_*)" or the path of fabric.env. */
  source: string;
}

export type FabricOrg = 'org1' | 'org2';

export const FABRIC_STATE_DIR_DEFAULT = '/var/tmp/licence-vault-fabric';
export const FABRIC_NETWORK_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'fabric-test-network.sh');

const START_HINT = 'run scripts/fabric-test-network.sh start';
const ORG2_PREFIX = 'FABRIC_ORG2_';

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m?.[1] && m[2] !== undefined) out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** FABRIC_ORG2_X → FABRIC_X, so fabricConfigFromEnv reads Org2's settings. */
function org2View(vars: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) if (k.startsWith(ORG2_PREFIX)) out[`FABRIC_${k.slice(ORG2_PREFIX.length)}`] = v;
  return out;
}

/**
 * Both organisations' gateway settings: from FABRIC_* / FABRIC_ORG2_* in the environment when
 * FABRIC_GATEWAY_ENDPOINT is set, else from `${LV_FABRIC_STATE_DIR:-/var/tmp/licence-vault-fabric}/fabric.env`
 * (written by scripts/fabric-test-network.sh start). Then checks that both gateways answer a real evaluate
 * (GetConfig).
 *
 * Returns `{ skipReason }` when no usable network is found; on CI (`CI=true`) that is a hard failure
 * (thrown) instead, because CI starts the network.
 */
export async function loadFabricTestNetwork(opts: { timeoutMs?: number } = {}): Promise<FabricTestNetwork | { skipReason: string }> {
  const result = await resolveNetwork(opts.timeoutMs ?? 5000);
  if ('skipReason' in result && process.env.CI === 'true') {
    throw new Error(`Fabric test network required on CI but not usable: ${result.skipReason}`);
  }
  return result;
}

async function resolveNetwork(timeoutMs: number): Promise<FabricTestNetwork | { skipReason: string }> {
  let vars: Record<string, string | undefined>;
  let source: string;
  if (process.env.FABRIC_GATEWAY_ENDPOINT) {
    vars = process.env;
    source = 'environment (FABRIC_*)';
  } else {
    const file = path.join(process.env.LV_FABRIC_STATE_DIR || FABRIC_STATE_DIR_DEFAULT, 'fabric.env');
    try {
      vars = parseEnvFile(await readFile(file, 'utf8'));
      source = file;
    } catch {
      return { skipReason: `no FABRIC_GATEWAY_ENDPOINT in the environment and no ${file} — ${START_HINT}` };
    }
  }
  if (!vars.FABRIC_ORG2_GATEWAY_ENDPOINT) {
    return { skipReason: `no FABRIC_ORG2_GATEWAY_ENDPOINT in ${source}: the two-organisation tests need Org2's settings too (export all of fabric.env) — ${START_HINT}` };
  }

  let org1: FabricLedgerConfig | null;
  let org2: FabricLedgerConfig | null;
  try {
    org1 = fabricConfigFromEnv(vars);
    org2 = fabricConfigFromEnv(org2View(vars));
  } catch (err) {
    return { skipReason: `unusable Fabric settings in ${source}: ${message(err)} — ${START_HINT}` };
  }
  if (!org1 || !org2) return { skipReason: `incomplete Fabric settings in ${source} — ${START_HINT}` };

  for (const [org, config] of [['org1', org1], ['org2', org2]] as const) {
    try {
      await evaluateGetConfig(config, timeoutMs);
    } catch (err) {
      return { skipReason: `no Fabric network answering through ${org}'s gateway at ${config.endpoint} (settings from ${source}): ${message(err)} — ${START_HINT}` };
    }
  }
  return { org1, org2, source };
}

/** A real evaluate through the organisation's gateway: the chaincode is deployed and configured. */
async function evaluateGetConfig(config: FabricLedgerConfig, timeoutMs: number): Promise<void> {
  const client = new grpc.Client(config.endpoint, grpc.credentials.createSsl(Buffer.from(config.tlsRootCertPem)), config.hostAlias ? { 'grpc.ssl_target_name_override': config.hostAlias } : {});
  const gateway = connect({
    client,
    identity: { mspId: config.mspId, credentials: Buffer.from(config.certPem) },
    signer: signers.newPrivateKeySigner(crypto.createPrivateKey(config.keyPem)),
    hash: hash.sha256,
    evaluateOptions: () => ({ deadline: Date.now() + timeoutMs }),
  });
  try {
    await gateway.getNetwork(config.channel).getContract(config.chaincode).evaluateTransaction('GetConfig');
  } finally {
    gateway.close();
    client.close();
  }
}

/** The error's message plus, for a GatewayError, each peer's own message (which peer failed and why). */
function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const details = (err as { details?: unknown } | null)?.details;
  if (!Array.isArray(details) || details.length === 0) return text;
  return `${text} [${details.map((d: { address?: string; message?: string }) => `${d.address}: ${d.message}`).join('; ')}]`;
}

export interface ScriptRun {
  stdout: string;
  stderr: string;
  durationMs: number;
}

/**
 * Runs `scripts/fabric-test-network.sh stop-peer|start-peer <org>` and waits for it. `start-peer` returns
 * once a submit through Org1's gateway that needs both organisations' endorsements succeeds again.
 * Rejects with the script's exit code and the end of its stderr when it fails.
 */
export function runFabricNetworkScript(subcommand: 'stop-peer' | 'start-peer', org: FabricOrg, opts: { timeoutMs?: number } = {}): Promise<ScriptRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile('bash', [FABRIC_NETWORK_SCRIPT, subcommand, org], { timeout: opts.timeoutMs ?? 180_000, maxBuffer: 16 * 1024 * 1024, env: process.env }, (error, stdout, stderr) => {
      const durationMs = Date.now() - started;
      if (error) {
        const how = error.killed ? `was killed after ${durationMs} ms (timeout ${opts.timeoutMs ?? 180_000} ms)` : `exited with code ${error.code}`;
        const tail = stderr.trim().split('\n').slice(-40).join('\n');
        reject(new Error(`scripts/fabric-test-network.sh ${subcommand} ${org} ${how}:\n${tail}`));
        return;
      }
      resolve({ stdout, stderr, durationMs });
    });
  });
}

/** Stops one organisation's peer (data kept). */
export const stopFabricPeer = (org: FabricOrg, opts?: { timeoutMs?: number }): Promise<ScriptRun> => runFabricNetworkScript('stop-peer', org, opts);

/** Restarts one organisation's peer and waits until the network accepts two-org submits again. */
export const startFabricPeer = (org: FabricOrg, opts?: { timeoutMs?: number }): Promise<ScriptRun> => runFabricNetworkScript('start-peer', org, opts);
