/**
 * Service signing keys kept as private JWK files in the data directory (mode 0600), generated on first
 * start. Production mounts these from a secret store; they are never logged and never in the repo.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';

export interface SigningKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function loadOrCreateSigningKey(file: string, alg = 'ES256'): Promise<SigningKey> {
  let privateJwk: JWK;
  if (fs.existsSync(file)) {
    privateJwk = JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
  } else {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    privateJwk = await exportJWK(privateKey);
    privateJwk.alg = alg;
    privateJwk.kid = await calculateJwkThumbprint(privateJwk);
    writeSecretFile(file, JSON.stringify(privateJwk));
  }
  return fromPrivateJwk(privateJwk);
}

export async function fromPrivateJwk(privateJwk: JWK): Promise<SigningKey> {
  const alg = privateJwk.alg ?? 'ES256';
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(privateJwk));
  const privateKey = (await importJWK(privateJwk, alg)) as CryptoKey;
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
  return { alg, kid, privateKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
}

/** Writes a secret atomically with owner-only permissions. */
export function writeSecretFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** A random 32-byte secret kept in `file` (as hex), made on first start. */
export function loadOrCreateSecret(file: string): Buffer {
  if (!fs.existsSync(file)) writeSecretFile(file, crypto.randomBytes(32).toString('hex'));
  return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
}
