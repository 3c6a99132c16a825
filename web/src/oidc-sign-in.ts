/**
 * Signing in with an OpenID provider from a page (the government identity provider on the portal, the staff
 * provider on the auditor page): the authorization code flow with PKCE as a public client, done by
 * oauth4webapi (discovery, the authorization request, the callback's checks — state, issuer, error —, the
 * code exchange and the ID token's claims: issuer, audience, expiry, nonce). The page then sends the ID token
 * to the vault as its bearer token, and the vault checks its signature against the provider's JWKS.
 * `GET /auth/sign-in` says which providers there are. What the flow needs across the redirect (verifier,
 * state, nonce, and what the page wants back) waits in sessionStorage and is removed as soon as the page is
 * back; the code leaves the address bar at once.
 */
import * as oauth from 'oauth4webapi';
import { apiJson } from './common.ts';

export interface SignInProvider {
  issuer: string;
  clientId: string;
  redirectUri: string;
  scope: string;
}

export interface SignInOptions {
  holder: SignInProvider | null;
  staff: SignInProvider | null;
  development: boolean;
}

const PENDING_KEY = 'licence-vault.oidc-pending';

let optionsLoading: Promise<SignInOptions> | null = null;

/** The providers this deployment signs people in with (asked once per page). */
export function signInOptions(): Promise<SignInOptions> {
  optionsLoading ??= apiJson<SignInOptions>('GET', '/auth/sign-in').catch(() => ({ holder: null, staff: null, development: false }));
  return optionsLoading;
}

/** Plain http only for a provider on this machine (development, tests); anything else must be https. */
function transport(issuer: URL): { [oauth.allowInsecureRequests]?: boolean } {
  const loopback = issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
  return loopback ? { [oauth.allowInsecureRequests]: true } : {};
}

async function discover(provider: SignInProvider): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(provider.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, transport(issuer)));
}

/** Sends the browser to the provider; `carry` comes back with the result (e.g. the company an agent acts for). */
export async function startSignIn(provider: SignInProvider, carry: Record<string, string> = {}): Promise<void> {
  const as = await discover(provider);
  if (!as.authorization_endpoint) throw new Error('the identity provider names no authorization endpoint');
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce, issuer: provider.issuer, carry }));
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', provider.clientId);
  url.searchParams.set('redirect_uri', provider.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', provider.scope);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', nonce);
  location.assign(url.href);
}

export interface SignInResult {
  idToken: string;
  claims: oauth.IDToken;
  carry: Record<string, string>;
}

/** The provider said the person cancelled (RFC 6749 access_denied), rather than something going wrong. */
export function wasCancelled(error: unknown): boolean {
  return error instanceof oauth.AuthorizationResponseError && error.error === 'access_denied';
}

/** Whether this page load is the provider sending the browser back. */
export function isSignInReturn(): boolean {
  const params = new URLSearchParams(location.search);
  return params.has('state') && (params.has('code') || params.has('error'));
}

/**
 * Completes a sign-in on the page the provider sent the browser back to. Throws when the provider refused,
 * the answer is not the one this page asked for (state, issuer, nonce), or the exchange fails.
 */
export async function finishSignIn(provider: SignInProvider): Promise<SignInResult> {
  const params = new URLSearchParams(location.search);
  const pendingText = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, '', location.pathname + location.hash);
  if (!pendingText) throw new Error('no sign-in was started from this page');
  const pending = JSON.parse(pendingText) as { verifier: string; state: string; nonce: string; issuer: string; carry: Record<string, string> };
  if (pending.issuer !== provider.issuer) throw new Error('the sign-in was started with another identity provider');
  const as = await discover(provider);
  const client: oauth.Client = { client_id: provider.clientId };
  const callback = oauth.validateAuthResponse(as, client, params, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), callback, provider.redirectUri, pending.verifier, transport(new URL(provider.issuer)));
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce, requireIdToken: true });
  const claims = oauth.getValidatedIdTokenClaims(result);
  if (!result.id_token || !claims) throw new Error('the identity provider returned no ID token');
  return { idToken: result.id_token, claims, carry: pending.carry ?? {} };
}
