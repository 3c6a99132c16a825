/**
 * A running vault for API tests: embedded defaults in a temporary data directory (or the database and
 * object store a test passes in), listening on an ephemeral port of 127.0.0.1. Every response the client
 * receives is checked against openapi.yaml.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { signClientAssertion, tokenRequestForm } from '../../src/auth/client-assertion.ts';
import { dataDirLayout, loadDevClientKey } from '../../src/bootstrap/dev-environment.ts';
import { createVault } from '../../src/compose.ts';
import { createHttpServer } from '../../src/http/http-server.ts';
import type { Vault, VaultOverrides } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Config } from '../../src/config/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { assertMatchesContract } from './openapi-responses.ts';

export const PUBLIC_BASE_URL = 'http://vault.test';
export const DEPARTMENTS = {
  market: '111101050000100149',
  hrss: '111101050000100224',
  tax: '11110105000010030Y',
  health: '11110105000010065H',
  audit: '11110105000010049U',
  admin: '11110105000010057N',
} as const;

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  bytes: Uint8Array;
}

export interface RequestOptions {
  token?: string;
  json?: unknown;
  body?: string | Uint8Array | URLSearchParams | FormData;
  headers?: Record<string, string>;
}

export class TestVault {
  private constructor(
    readonly vault: Vault,
    readonly config: Config,
    readonly baseUrl: string,
    private readonly server: Server,
    private readonly ownsDataDir: boolean,
  ) {}

  /**
   * `port`: listen there instead of on an ephemeral port (a test that needs PUBLIC_BASE_URL to be the address
   * a browser really reaches, e.g. for an identity provider's redirect, picks a free one with `freePort()`).
   */
  static async start(opts: { env?: Record<string, string>; overrides?: VaultOverrides; dataDir?: string; port?: number } = {}): Promise<TestVault> {
    const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lv-test-'));
    // Tests sign holders in through the development provider, also on production engines: said explicitly.
    const config = loadConfig({ DATA_DIR: dataDir, PUBLIC_BASE_URL: PUBLIC_BASE_URL, SEED_DEV_DATA: 'true', LOG_LEVEL: 'silent', ANCHORER_ENABLED: 'false', RENDER_WORKERS: '0', DEV_IDP_ENABLED: 'true', ...opts.env });
    const vault = await createVault(config, { logger: createLogger('silent'), ...opts.overrides });
    const server = await new Promise<Server>((resolve) => {
      // The server `npm start` runs (requests born as express's objects), so every API test goes through it.
      const s = createHttpServer(vault.app).listen(opts.port ?? 0, '127.0.0.1', () => resolve(s));
    });
    const { port } = server.address() as AddressInfo;
    return new TestVault(vault, vault.config, `http://127.0.0.1:${port}`, server, !opts.dataDir);
  }

  async request<T = any>(method: string, urlPath: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: BodyInit | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.body !== undefined) {
      body = opts.body as BodyInit;
    }
    const response = await fetch(`${this.baseUrl}${urlPath}`, { method, headers, body });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const type = response.headers.get('content-type') ?? '';
    const parsed = type.includes('json') ? JSON.parse(Buffer.from(bytes).toString('utf8')) : undefined;
    const result = { status: response.status, headers: response.headers, body: parsed as T, bytes };
    await assertMatchesContract(method, urlPath, result);
    return result;
  }

  /** An access token for a seeded development department, obtained through /oauth/token. */
  async departmentToken(code: string, scope?: string): Promise<string> {
    const assertion = await this.clientAssertion(code);
    const res = await this.request('POST', '/oauth/token', { body: tokenRequestForm(assertion, scope) });
    if (res.status !== 200) throw new Error(`token for ${code} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.access_token as string;
  }

  async clientAssertion(code: string, audience = `${this.config.publicBaseUrl}/oauth/token`): Promise<string> {
    const key = await loadDevClientKey(dataDirLayout(this.config.dataDir).devClientsDir, code);
    return signClientAssertion(key, code, audience);
  }

  async holderToken(subject: string, name?: string): Promise<string> {
    const res = await this.request('POST', '/dev-idp/token', { json: { subject, ...(name ? { name } : {}) } });
    if (res.status !== 200) throw new Error(`holder token for ${subject} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id_token as string;
  }

  get issuerCaPath(): string {
    return path.join(dataDirLayout(this.config.dataDir).pkiDir, 'issuer-ca.cert.pem');
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections?.();
    await this.vault.close();
    if (this.ownsDataDir) fs.rmSync(this.config.dataDir, { recursive: true, force: true });
  }
}

/** Valid holders for tests. */
export const HOLDERS = {
  personA: '11010519491231002X',
  personB: '110105194912310038',
  companyA: '91350100M000100Y43',
  companyB: '91110000600037341L',
} as const;

export function businessLicenceRequest(overrides: Record<string, unknown> = {}) {
  return {
    type: 'business-licence',
    holder: { id: HOLDERS.companyA, name: '北京𠮷𪚥餐饮管理有限公司' },
    fields: {
      entityType: '有限责任公司(自然人投资或控股)',
      legalRepresentative: '张𠮷',
      registeredCapital: '人民币壹佰万元整',
      establishedOn: '2020-05-01',
      address: '北京市朝阳区建国路1号',
      businessScope: '餐饮服务；食品销售',
    },
    ...overrides,
  };
}

export function qualificationRequest(holderId: string = HOLDERS.personA, name = '张𠮷') {
  return {
    type: 'professional-qualification',
    holder: { id: holderId, name },
    fields: { qualificationName: '注册会计师', level: '中级', approvedOn: '2019-09-01', managementNumber: 'CPA2019000123' },
  };
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
