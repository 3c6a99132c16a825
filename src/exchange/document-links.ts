/**
 * Short-lived download links for a consented document: an HMAC-signed token naming the licence, the
 * department and the expiry. Nothing is stored; a link is useless after it expires or for another licence.
 */
import crypto from 'node:crypto';

export class DocumentLinks {
  constructor(private readonly secret: Buffer, private readonly baseUrl: string, private readonly ttlSeconds = 300, private readonly now: () => Date = () => new Date()) {}

  url(licenceId: string, requester: string): string {
    const payload = Buffer.from(JSON.stringify({ l: licenceId, r: requester, e: Math.floor(this.now().getTime() / 1000) + this.ttlSeconds })).toString('base64url');
    return `${this.baseUrl}/exchange/documents/${payload}.${this.mac(payload)}`;
  }

  /** Returns the licence id, or null for a forged, altered or expired token. */
  open(token: string): { licenceId: string; requester: string } | null {
    const [payload, mac] = token.split('.');
    if (!payload || !mac) return null;
    const expected = this.mac(payload);
    if (mac.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(mac), Buffer.from(expected))) return null;
    try {
      const { l, r, e } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { l: string; r: string; e: number };
      return e > this.now().getTime() / 1000 ? { licenceId: l, requester: r } : null;
    } catch {
      return null;
    }
  }

  private mac(payload: string): string {
    return crypto.createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}

/**
 * A document link's path with its signature replaced, for logs: the link is a bearer capability until it
 * expires. The path is decoded first, as the router decodes it (`%2E` routes like `.`); a token that does
 * not decode, or has no payload before its dot, is replaced whole.
 */
export function redactDocumentLinks(url: string): string {
  const match = /^(\/exchange\/documents\/)([^?#]*)(.*)$/s.exec(url);
  if (!match) return url;
  let token: string;
  try {
    token = decodeURIComponent(match[2]!);
  } catch {
    return `${match[1]}[redacted]${match[3]}`;
  }
  const dot = token.indexOf('.');
  const payload = dot > 0 ? token.slice(0, dot) : '';
  return `${match[1]}${/^[A-Za-z0-9_-]+$/.test(payload) ? `${payload}.` : ''}[redacted]${match[3]}`;
}
