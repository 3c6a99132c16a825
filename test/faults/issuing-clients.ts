/**
 * Well-behaved issuing clients for the fault tests: each issues licences one after another, every licence
 * under its own Idempotency-Key, and retries the same key (same body) after a connection error or a 5xx
 * until the service acknowledges it (201, or 200 for a replay). Every attempt is recorded, so a test can
 * assert what the service answered while it was being killed or its database was down.
 */
import { businessLicenceRequest } from '../support/test-vault.ts';
import { sleep } from '../support/service-process.ts';

export interface IssueAttempt {
  key: string;
  startedAt: number;
  endedAt: number;
  /** null: no HTTP answer (connection refused or cut, or no answer within the request timeout). */
  status: number | null;
  error?: string;
  contentType?: string | null;
  retryAfter?: string | null;
  code?: string;
  body?: string;
  /** X-Request-Id of the answer: finds the service's log lines about it. */
  requestId?: string | null;
}

export interface Acknowledgement {
  key: string;
  licenceId: string;
  documentSha256: string;
  status: 200 | 201;
  attempts: number;
}

export interface IssuingClientsOptions {
  baseUrl: string;
  token: string;
  clients: number;
  keyPrefix: string;
  /** Pause before retrying a key. */
  retryDelayMs?: number;
  /** An attempt with no answer within this long counts as a hang (status null, error 'timeout'). */
  requestTimeoutMs?: number;
  /** Give up on a key after this long (the test then fails on the unacknowledged key). */
  keyDeadlineMs?: number;
}

export class IssuingClients {
  readonly acknowledged = new Map<string, Acknowledgement>();
  readonly attempts: IssueAttempt[] = [];
  /** Keys a client gave up on, or that got a 4xx: each one is a failure of the test. */
  readonly abandoned: Array<{ key: string; reason: string }> = [];
  private inFlight = 0;
  private stopping = false;
  private loops: Array<Promise<void>> = [];

  constructor(private readonly options: IssuingClientsOptions) {}

  start(): void {
    this.loops = Array.from({ length: this.options.clients }, (_, client) => this.loop(client));
  }

  /** Lets every client finish (acknowledge) the key it is working on, then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  /** Requests sent and not yet answered right now. */
  get requestsInFlight(): number {
    return this.inFlight;
  }

  private async loop(client: number): Promise<void> {
    for (let n = 0; !this.stopping; n++) await this.issueUntilAcknowledged(`${this.options.keyPrefix}-${client}-${n}`);
  }

  private async issueUntilAcknowledged(key: string): Promise<void> {
    const body = JSON.stringify(businessLicenceRequest());
    const deadline = Date.now() + (this.options.keyDeadlineMs ?? 90_000);
    for (let attempts = 1; ; attempts++) {
      const attempt = await this.attempt(key, body);
      this.attempts.push(attempt);
      if (attempt.status === 201 || attempt.status === 200) {
        const licence = JSON.parse(attempt.body!) as { id: string; document: { sha256: string } };
        this.acknowledged.set(key, { key, licenceId: licence.id, documentSha256: licence.document.sha256, status: attempt.status, attempts });
        return;
      }
      if (attempt.status !== null && attempt.status < 500) {
        this.abandoned.push({ key, reason: `${attempt.status} ${attempt.body}` });
        return;
      }
      if (Date.now() > deadline) {
        this.abandoned.push({ key, reason: `no acknowledgement within the deadline; last: ${attempt.status ?? attempt.error}` });
        return;
      }
      await sleep(this.options.retryDelayMs ?? 100);
    }
  }

  private async attempt(key: string, body: string): Promise<IssueAttempt> {
    const startedAt = Date.now();
    this.inFlight += 1;
    try {
      const res = await fetch(`${this.options.baseUrl}/licences`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json', 'idempotency-key': key },
        body,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
      });
      const text = await res.text();
      const attempt: IssueAttempt = { key, startedAt, endedAt: Date.now(), status: res.status, contentType: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), body: text, requestId: res.headers.get('x-request-id') };
      if (attempt.contentType?.startsWith('application/problem+json')) attempt.code = (JSON.parse(text) as { code?: string }).code;
      return attempt;
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      return { key, startedAt, endedAt: Date.now(), status: null, error: e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.message) };
    } finally {
      this.inFlight -= 1;
    }
  }
}
