/**
 * A stand-in for the government identity provider (and the staff one) in browser tests: an OpenID provider
 * on 127.0.0.1 with discovery, an authorization endpoint that signs in whoever the test says is at the
 * keyboard (or refuses, as a person cancelling would), a token endpoint that checks the one-time code, the
 * redirect URI and the PKCE verifier (S256), and its JWKS; ID tokens are ES256 with the nonce, audience the
 * client id. Several issuers share one server under path prefixes (`/holder`, `/staff`). Only what the
 * authorization code flow with PKCE needs; nothing else of OpenID Connect.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { JWK } from 'jose';

export interface FakeUser {
  sub: string;
  claims?: Record<string, unknown>;
}

interface PendingCode {
  issuer: string;
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | null;
  user: FakeUser;
}

export class FakeOpenIdProvider {
  /** Who signs in at the next authorization request, per issuer prefix; `null` refuses (access_denied). */
  readonly users = new Map<string, FakeUser | null>();
  /** Registered clients per issuer prefix: client id → redirect URIs. */
  readonly clients = new Map<string, Map<string, string[]>>();
  readonly tokenRequests: Array<{ prefix: string; ok: boolean; reason?: string }> = [];
  private readonly codes = new Map<string, PendingCode>();

  private constructor(
    private readonly server: http.Server,
    readonly origin: string,
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
  ) {}

  static async start(): Promise<FakeOpenIdProvider> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'fake-1', alg: 'ES256', use: 'sig' };
    let provider: FakeOpenIdProvider | null = null;
    const server = http.createServer((req, res) => void provider!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    provider = new FakeOpenIdProvider(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, privateKey as CryptoKey, publicJwk);
    return provider;
  }

  issuer(prefix: string): string {
    return `${this.origin}/${prefix}`;
  }

  jwksUrl(prefix: string): string {
    return `${this.issuer(prefix)}/jwks`;
  }

  register(prefix: string, clientId: string, redirectUris: string[]): void {
    if (!this.clients.has(prefix)) this.clients.set(prefix, new Map());
    this.clients.get(prefix)!.set(clientId, redirectUris);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // A page on another origin discovers and exchanges codes with fetch: CORS as a real provider allows it.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'content-type, accept, dpop');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const url = new URL(req.url ?? '/', this.origin);
    const [, prefix = '', ...rest] = url.pathname.split('/');
    const route = `/${rest.join('/')}`;
    const issuer = this.issuer(prefix);
    const json = (status: number, body: unknown) => void res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    if (!this.clients.has(prefix)) return json(404, { error: 'not_found' });
    if (req.method === 'GET' && route === '/.well-known/openid-configuration') {
      return json(200, {
        issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['ES256'],
        code_challenge_methods_supported: ['S256'], token_endpoint_auth_methods_supported: ['none'],
      });
    }
    if (req.method === 'GET' && route === '/jwks') return json(200, { keys: [this.publicJwk] });
    if (req.method === 'GET' && route === '/authorize') {
      const p = url.searchParams;
      const clientId = p.get('client_id') ?? '';
      const redirectUri = p.get('redirect_uri') ?? '';
      if (!this.clients.get(prefix)!.get(clientId)?.includes(redirectUri)) return json(400, { error: 'invalid_request', error_description: 'unknown client or redirect_uri' });
      const back = new URL(redirectUri);
      back.searchParams.set('state', p.get('state') ?? '');
      const user = this.users.get(prefix);
      if (!user || p.get('response_type') !== 'code' || p.get('code_challenge_method') !== 'S256' || !p.get('code_challenge')) {
        back.searchParams.set('error', user ? 'invalid_request' : 'access_denied');
      } else {
        const code = crypto.randomBytes(24).toString('base64url');
        this.codes.set(code, { issuer, clientId, redirectUri, challenge: p.get('code_challenge')!, nonce: p.get('nonce'), user });
        back.searchParams.set('code', code);
      }
      return void res.writeHead(302, { location: back.href }).end();
    }
    if (req.method === 'POST' && route === '/token') {
      const form = new URLSearchParams(await readBody(req));
      const code = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? ''); // one use, whatever happens
      const refuse = (reason: string) => {
        this.tokenRequests.push({ prefix, ok: false, reason });
        json(400, { error: 'invalid_grant', error_description: reason });
      };
      if (form.get('grant_type') !== 'authorization_code' || !code) return refuse('unknown or used code');
      if (form.get('client_id') !== code.clientId || form.get('redirect_uri') !== code.redirectUri) return refuse('client or redirect_uri differs');
      const verifier = form.get('code_verifier') ?? '';
      if (crypto.createHash('sha256').update(verifier).digest('base64url') !== code.challenge) return refuse('PKCE verifier does not match');
      const idToken = await new SignJWT({ ...(code.nonce ? { nonce: code.nonce } : {}), ...(code.user.claims ?? {}) })
        .setProtectedHeader({ alg: 'ES256', kid: this.publicJwk.kid!, typ: 'JWT' })
        .setIssuer(code.issuer).setSubject(code.user.sub).setAudience(code.clientId)
        .setIssuedAt().setExpirationTime('10m')
        .sign(this.privateKey);
      this.tokenRequests.push({ prefix, ok: true });
      return json(200, { access_token: crypto.randomBytes(16).toString('base64url'), token_type: 'Bearer', expires_in: 600, id_token: idToken });
    }
    json(404, { error: 'not_found' });
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks).toString('utf8'))).on('error', reject);
  });
}
