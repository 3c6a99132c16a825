/**
 * The service as a real operating-system process, started the way `npm start` starts it (the same node
 * arguments, read from package.json: see serviceNodeArguments), for tests and benchmarks that kill it,
 * restart it or run two of it.
 * Readiness is a 200 from /healthz, so it works whatever the log level and seeding. Every process started
 * here is SIGKILLed when the test process exits, so a failed test never leaves a service running.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { signClientAssertion, tokenRequestForm } from '../../src/auth/client-assertion.ts';
import { dataDirLayout, loadDevClientKey } from '../../src/bootstrap/dev-environment.ts';
import { childEnvironment } from './child-environment.ts';
import { ACCESS_LOG_ORIGIN, LICENCE_LOG_ORIGIN } from './log-consistency.ts';

export interface ServiceProcessOptions {
  dataDir: string;
  /** PostgreSQL; null: the embedded PGlite in the data directory. */
  databaseUrl: string | null;
  port: number;
  /** Default: this process's own URL. Replicas that share tokens must share it. */
  publicBaseUrl?: string;
  /** Extra environment (ANCHORER_ENABLED, RENDER_WORKERS, …) over the defaults below. */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Node arguments put before `npm start`'s own (e.g. `--cpu-prof` for a benchmark's profile). */
  extraNodeArguments?: string[];
}

/**
 * The node arguments of `npm start` (package.json's start script without its leading `node`), so tests
 * and benchmarks run the service with the runtime flags production uses (e.g. the young generation's size).
 */
export function serviceNodeArguments(): string[] {
  const start = (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const [command, ...args] = start.trim().split(/\s+/);
  if (command !== 'node' || args.at(-1) !== 'src/main.ts') throw new Error(`package.json's start script must be "node <flags> src/main.ts", not "${start}"`);
  return args;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class ServiceProcess {
  private output = '';
  /** Where the output stood when the service first answered /healthz (after its start-up banner). */
  private readyOffset = 0;
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited = false;

  private constructor(
    readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    live.add(child);
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-2_000_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exit = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.exited = true;
        live.delete(child);
        resolve({ code, signal });
      }),
    );
  }

  static async start(opts: ServiceProcessOptions): Promise<ServiceProcess> {
    const baseUrl = `http://127.0.0.1:${opts.port}`;
    const child = spawn(process.execPath, [...(opts.extraNodeArguments ?? []), ...serviceNodeArguments()], {
      env: childEnvironment({
        DATABASE_URL: opts.databaseUrl ?? undefined, DATA_DIR: opts.dataDir, PORT: String(opts.port), HOST: '127.0.0.1',
        PUBLIC_BASE_URL: opts.publicBaseUrl ?? baseUrl, LOG_ORIGIN: LICENCE_LOG_ORIGIN, ACCESS_LOG_ORIGIN, SEED_DEV_DATA: 'true', DEV_IDP_ENABLED: 'true', LOG_LEVEL: 'warn', RENDER_WORKERS: '0',
        ...opts.env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, baseUrl);
    await service.waitUntilHealthy(opts.readyTimeoutMs ?? 60_000);
    return service;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The last few kilobytes the process wrote, for failure messages. */
  tail(): string {
    return this.output.slice(-8000);
  }

  /**
   * Output lines since start-up that are not pino JSON (a library writing with console.*, a stack trace).
   * The start-up banner before that is meant for people and is not counted.
   */
  unstructuredLinesSinceReady(): string[] {
    return this.output.slice(this.readyOffset).split('\n').filter((line) => {
      if (line.trim() === '') return false;
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
  }

  /** The lines of its output that mention `text` (a request id, say), for failure messages. */
  linesMentioning(text: string): string {
    return this.output.split('\n').filter((line) => line.includes(text)).join('\n');
  }

  /** SIGKILL: no shutdown hook runs, in-flight requests and transactions are cut wherever they are. */
  async kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exited) this.child.kill('SIGKILL');
    return this.exit;
  }

  /** SIGTERM (graceful), then SIGKILL if it has not exited within the grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  private async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`service exited before it was ready:\n${this.output}`);
      try {
        const res = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) {
          this.readyOffset = this.output.length;
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    this.child.kill('SIGKILL');
    throw new Error(`service not healthy within ${timeoutMs} ms:\n${this.output}`);
  }
}

/** A TCP port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** An access token for a seeded development department, signed with its client key from the data directory. */
export async function departmentToken(baseUrl: string, dataDir: string, code: string, publicBaseUrl = baseUrl): Promise<string> {
  const key = await loadDevClientKey(dataDirLayout(dataDir).devClientsDir, code);
  const res = await fetch(`${baseUrl}/oauth/token`, { method: 'POST', body: tokenRequestForm(await signClientAssertion(key, code, `${publicBaseUrl}/oauth/token`)) });
  if (res.status !== 200) throw new Error(`token for ${code} failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
