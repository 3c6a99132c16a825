/** Client side of RFC 7523 private_key_jwt: what a department's system sends to /oauth/token. */
import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKey } from './key-files.ts';
import { CLIENT_ASSERTION_TYPE } from './department-tokens.ts';

export async function signClientAssertion(key: SigningKey, clientId: string, tokenEndpointUrl: string, lifetimeSeconds = 60): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenEndpointUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + lifetimeSeconds)
    .setJti(crypto.randomUUID())
    .sign(key.privateKey);
}

export function tokenRequestForm(assertion: string, scope?: string): URLSearchParams {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion });
  if (scope) form.set('scope', scope);
  return form;
}
