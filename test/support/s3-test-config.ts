import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { createMinioClient } from '../../src/storage/s3-object-store.ts';

/** Connection settings for the test S3 server (see scripts/s3-test-server.sh). */
export interface S3Cfg {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
  /** Unique per call (`run-<hex>/`): tests put their keys under it so reruns never collide. */
  keyPrefix: string;
}

export const S3_STATE_DIR_DEFAULT = '/var/tmp/licence-vault-s3';

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m?.[1] && m[2] !== undefined) out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

const START_HINT = 'run scripts/s3-test-server.sh start';

/**
 * S3 settings for tests: from S3_ENDPOINT / S3_ACCESS_KEY / S3_SECRET_KEY / S3_BUCKET / S3_REGION when
 * S3_ENDPOINT is set, else from `${LV_S3_STATE_DIR:-/var/tmp/licence-vault-s3}/s3.env` (written by
 * scripts/s3-test-server.sh). Then checks that the server answers with these credentials.
 *
 * Returns `{ skipReason }` when no usable server is found; on CI (`CI=true`) that is a hard failure
 * instead (thrown), because CI always starts the gateway.
 */
export async function loadS3TestConfig(opts: { timeoutMs?: number } = {}): Promise<S3Cfg | { skipReason: string }> {
  const result = await resolve(opts.timeoutMs ?? 3000);
  if ('skipReason' in result && process.env.CI === 'true') {
    throw new Error(`S3 test server required on CI but not usable: ${result.skipReason}`);
  }
  return result;
}

async function resolve(timeoutMs: number): Promise<S3Cfg | { skipReason: string }> {
  let vars: Record<string, string | undefined>;
  let source: string;
  if (process.env.S3_ENDPOINT) {
    vars = process.env;
    source = 'environment (S3_*)';
  } else {
    const file = path.join(process.env.LV_S3_STATE_DIR || S3_STATE_DIR_DEFAULT, 's3.env');
    try {
      vars = parseEnvFile(await readFile(file, 'utf8'));
      source = file;
    } catch {
      return { skipReason: `no S3_ENDPOINT in the environment and no ${file} — ${START_HINT}` };
    }
  }
  const endpoint = vars.S3_ENDPOINT;
  const accessKey = vars.S3_ACCESS_KEY;
  const secretKey = vars.S3_SECRET_KEY;
  const bucket = vars.S3_BUCKET || 'licence-vault-test';
  const region = vars.S3_REGION || 'us-east-1';
  if (!endpoint || !accessKey || !secretKey) {
    return { skipReason: `incomplete S3 settings in ${source} (need S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY)` };
  }

  try {
    const client = createMinioClient({ endpoint, accessKey, secretKey, region, requestTimeoutMs: timeoutMs });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([client.listBuckets(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { skipReason: `no S3 server reachable at ${endpoint} (settings from ${source}): ${msg} — ${START_HINT}` };
  }
  return { endpoint, accessKey, secretKey, bucket, region, keyPrefix: `run-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}/` };
}
