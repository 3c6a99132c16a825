/**
 * All configuration comes from the environment, read here and nowhere else. Every variable has an
 * embedded default so `npm start` runs on a bare machine (PGlite, a local directory, generated dev keys);
 * production sets DATABASE_URL, S3_* and the identity-provider variables. The README lists each one.
 */
import os from 'node:os';
import path from 'node:path';
import { STATEMENT_TIMEOUT_MS } from '../db/database.ts';

export interface S3Config {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
  objectLock: boolean;
}

export interface HolderIdpConfig {
  /** Expected `iss` of holder tokens. */
  issuer: string;
  /** JWKS URL of the government identity provider; unset means the built-in development provider. */
  jwksUrl: string | null;
}

export interface Config {
  port: number;
  host: string;
  /** Public base URL, used in QR codes, token audiences and the `iss` of access tokens. */
  publicBaseUrl: string;
  dataDir: string;
  /** postgres://… for PostgreSQL; null means embedded PGlite in `${dataDir}/pglite`. */
  databaseUrl: string | null;
  /** PostgreSQL cancels a statement running longer than this (0: never); PGlite runs in-process and has none. */
  databaseStatementTimeoutMs: number;
  /** null means the local-directory object store in `${dataDir}/objects`. */
  s3: S3Config | null;
  holderIdp: HolderIdpConfig;
  /** The staff identity provider (OIDC) whose ID tokens a department's people sign in to the pages with. */
  staffIdp: HolderIdpConfig;
  /**
   * The development identity providers (holder: type an ID; staff: pick a department) — never in
   * production. Default: on only with the embedded defaults (no DATABASE_URL) and no real holder provider;
   * with production engines only when DEV_IDP_ENABLED=true is set explicitly.
   */
  devIdpEnabled: boolean;
  /** The development sign-in is on outside the embedded defaults: warned at start-up, named by /readyz and every page. */
  devIdpWithProductionEngines: boolean;
  accessTokenTtlSeconds: number;
  /** Largest accepted JSON body. */
  maxBodyBytes: number;
  /** Public POST /verify calls per client address per minute. */
  verifyRateLimitPerMinute: number;
  /** express "trust proxy": hops of reverse proxies whose X-Forwarded-For is believed (null: none). */
  trustProxy: number | null;
  fontPaths: string[] | null;
  /** Worker threads that render and sign PDFs (0: on the request thread). */
  renderWorkers: number;
  logLevel: string;
  /** Seed one development department of each kind on start. */
  seedDevData: boolean;
  transparency: {
    /**
     * C2SP origin line of the licence log, e.g. "licence-vault.example.gov.cn/licences". Default: derived
     * from PUBLIC_BASE_URL, so two deployments anchoring on one channel never write the same tree; the
     * database pins the origins at first start (src/log/log-origins.ts).
     */
    logOrigin: string;
    /** LOG_ORIGIN or ACCESS_LOG_ORIGIN was set: a mismatch with the database's pinned origins stops start-up. */
    logOriginExplicit: boolean;
    /** Checkpoint after this many new leaves … */
    anchorBatchLeaves: number;
    /** … or after this long, whichever comes first. */
    anchorIntervalMs: number;
    anchorerEnabled: boolean;
    /**
     * On PostgreSQL, run the anchorer on a worker thread of its own (with its own small connection pool),
     * so sequencing and checkpointing do not take turns with requests on the request thread.
     */
    anchorerThread: boolean;
    /** Origin of the access log (every exchange request). */
    accessLogOrigin: string;
  };
  exchange: {
    perDepartmentPerMinute: number;
    perHolderPerMinute: number;
    /** Alert when one department queries this many distinct holders within one window. */
    alertDistinctHolders: number;
    alertWindowMinutes: number;
    patternCheckIntervalMs: number;
  };
  /** Raw environment of the Fabric adapter (FABRIC_*); the adapter reads its files. Null: embedded ledger. */
  fabricEnv: Record<string, string | undefined> | null;
}

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

function intFrom(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

function boolFrom(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

function s3From(env: Env): S3Config | null {
  const endpoint = env.S3_ENDPOINT;
  if (!endpoint) return null;
  const accessKey = env.S3_ACCESS_KEY;
  const secretKey = env.S3_SECRET_KEY;
  if (!accessKey || !secretKey) throw new ConfigError('S3_ENDPOINT is set, so S3_ACCESS_KEY and S3_SECRET_KEY are required');
  return {
    endpoint,
    accessKey,
    secretKey,
    bucket: env.S3_BUCKET || 'licence-vault',
    region: env.S3_REGION || 'us-east-1',
    objectLock: boolFrom(env, 'S3_OBJECT_LOCK', false),
  };
}

export function loadConfig(env: Env = process.env): Config {
  const port = intFrom(env, 'PORT', 8080);
  const host = env.HOST || '127.0.0.1';
  const publicBaseUrl = (env.PUBLIC_BASE_URL || `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`).replace(/\/$/, '');
  const dataDir = path.resolve(env.DATA_DIR || path.join(process.cwd(), 'data'));
  const jwksUrl = env.HOLDER_IDP_JWKS_URL || null;
  // A deployment that forgets one variable must not hand every citizen's licences to anyone.
  const devIdpEnabled = boolFrom(env, 'DEV_IDP_ENABLED', jwksUrl === null && !env.DATABASE_URL);
  return {
    port,
    host,
    publicBaseUrl,
    dataDir,
    databaseUrl: env.DATABASE_URL || null,
    databaseStatementTimeoutMs: intFrom(env, 'DATABASE_STATEMENT_TIMEOUT_MS', STATEMENT_TIMEOUT_MS),
    s3: s3From(env),
    holderIdp: {
      issuer: env.HOLDER_IDP_ISSUER || `${publicBaseUrl}/dev-idp`,
      jwksUrl,
    },
    staffIdp: {
      issuer: env.STAFF_IDP_ISSUER || `${publicBaseUrl}/dev-idp/staff`,
      jwksUrl: env.STAFF_IDP_JWKS_URL || null,
    },
    devIdpEnabled,
    devIdpWithProductionEngines: devIdpEnabled && Boolean(env.DATABASE_URL || env.S3_ENDPOINT || env.FABRIC_GATEWAY_ENDPOINT),
    accessTokenTtlSeconds: intFrom(env, 'ACCESS_TOKEN_TTL_SECONDS', 300),
    maxBodyBytes: intFrom(env, 'MAX_BODY_BYTES', 256 * 1024),
    verifyRateLimitPerMinute: intFrom(env, 'VERIFY_RATE_LIMIT_PER_MINUTE', 60),
    trustProxy: env.TRUST_PROXY ? intFrom(env, 'TRUST_PROXY', 0) : null,
    fontPaths: env.FONT_PATHS ? env.FONT_PATHS.split(':').filter(Boolean) : null,
    renderWorkers: intFrom(env, 'RENDER_WORKERS', Math.min(2, os.availableParallelism())),
    logLevel: env.LOG_LEVEL || 'info',
    seedDevData: boolFrom(env, 'SEED_DEV_DATA', env.DATABASE_URL === undefined),
    transparency: {
      logOrigin: env.LOG_ORIGIN || defaultLogOrigin(publicBaseUrl, 'licences'),
      logOriginExplicit: Boolean(env.LOG_ORIGIN || env.ACCESS_LOG_ORIGIN),
      anchorBatchLeaves: intFrom(env, 'ANCHOR_BATCH_LEAVES', 1000),
      anchorIntervalMs: intFrom(env, 'ANCHOR_INTERVAL_MS', 10_000),
      anchorerEnabled: boolFrom(env, 'ANCHORER_ENABLED', true),
      anchorerThread: boolFrom(env, 'ANCHORER_THREAD', true),
      accessLogOrigin: env.ACCESS_LOG_ORIGIN || defaultLogOrigin(publicBaseUrl, 'accesses'),
    },
    exchange: {
      perDepartmentPerMinute: intFrom(env, 'EXCHANGE_RATE_PER_DEPARTMENT_PER_MINUTE', 3000),
      perHolderPerMinute: intFrom(env, 'EXCHANGE_RATE_PER_HOLDER_PER_MINUTE', 60),
      alertDistinctHolders: intFrom(env, 'EXCHANGE_ALERT_DISTINCT_HOLDERS', 100),
      alertWindowMinutes: intFrom(env, 'EXCHANGE_ALERT_WINDOW_MINUTES', 10),
      patternCheckIntervalMs: intFrom(env, 'EXCHANGE_PATTERN_CHECK_INTERVAL_MS', 5000),
    },
    fabricEnv: env.FABRIC_GATEWAY_ENDPOINT ? Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('FABRIC_'))) : null,
  };
}

/** What is safe to log about the configuration: never keys or passwords. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    publicBaseUrl: config.publicBaseUrl,
    dataDir: config.dataDir,
    database: config.databaseUrl ? redactUrl(config.databaseUrl) : 'pglite (embedded)',
    objectStore: config.s3 ? `s3 ${config.s3.endpoint} bucket=${config.s3.bucket}` : 'local directory (embedded)',
    holderIdp: config.holderIdp.jwksUrl ? config.holderIdp.issuer : 'development identity provider (embedded)',
    ledger: config.fabricEnv ? `fabric ${config.fabricEnv.FABRIC_GATEWAY_ENDPOINT} channel=${config.fabricEnv.FABRIC_CHANNEL ?? 'licences'}` : 'embedded signed hash chain',
    logOrigin: config.transparency.logOrigin,
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

/**
 * A deployment's default log origin: its public URL without the scheme, then the log's name
 * (`https://vault.example.gov.cn` → `vault.example.gov.cn/licences`), as C2SP tlog-checkpoint suggests
 * (a schema-less URL).
 */
export function defaultLogOrigin(publicBaseUrl: string, log: 'licences' | 'accesses'): string {
  const url = new URL(publicBaseUrl);
  return `${url.host}${url.pathname.replace(/\/+$/, '')}/${log}`;
}
