/**
 * A PostgreSQL cluster of the test's own (initdb in a temporary directory, a free port, trust
 * authentication), so a test can stop, crash and restart the database server without touching the shared
 * one. Uses the Debian server binaries in /usr/lib/postgresql/<version>/bin. initdb and postgres refuse to
 * run as root, so as root every command runs as the `postgres` user through runuser.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/service-process.ts';

export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
    private readonly runAs: string[],
  ) {}

  /** A started cluster, or why one cannot be made on this machine (the caller skips). */
  static async create(): Promise<PrivatePostgres | { skipReason: string }> {
    const versions = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').filter((v) => fs.existsSync(`/usr/lib/postgresql/${v}/bin/pg_ctl`)) : [];
    const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
    if (!newest) return { skipReason: 'no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (Debian package postgresql)' };
    const bin = `/usr/lib/postgresql/${newest}/bin`;
    let runAs: string[] = [];
    let owner: { uid: number; gid: number } | null = null;
    if (process.getuid?.() === 0) {
      if (spawnSync('runuser', ['--help']).error) return { skipReason: 'running as root and runuser is missing (initdb refuses root)' };
      const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
      const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
      if (uid.status !== 0) return { skipReason: 'running as root and there is no postgres user to run initdb as' };
      owner = { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
      runAs = ['runuser', '-u', 'postgres', '--'];
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-private-pg-'));
    if (owner) fs.chownSync(dir, owner.uid, owner.gid);
    const cluster = new PrivatePostgres(bin, dir, await freePort(), runAs);
    try {
      cluster.run('initdb', ['-D', cluster.dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync']);
      cluster.start();
    } catch (error) {
      cluster.destroy();
      throw error;
    }
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** Starts the server and waits until it accepts connections. */
  start(): void {
    // fsync off: the faults here are process crashes, which lose nothing the OS already has.
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir} -c fsync=off -c max_connections=50`;
    this.run('pg_ctl', ['-D', this.dataDir, '-l', path.join(this.dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
  }

  /** `pg_ctl stop -m immediate`: every server process quits at once, as in a crash; the next start recovers from WAL. */
  stopImmediately(): void {
    this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
  }

  /** Stops the server if it runs and removes the cluster. */
  destroy(): void {
    if (fs.existsSync(path.join(this.dataDir, 'postmaster.pid'))) {
      const [command, ...args] = this.command('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
      spawnSync(command!, args, { stdio: 'ignore' });
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  serverLog(): string {
    const file = path.join(this.dir, 'server.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').slice(-4000) : '';
  }

  private command(tool: string, args: string[]): string[] {
    return [...this.runAs, `${this.bin}/${tool}`, ...args];
  }

  private run(tool: string, args: string[]): void {
    const [command, ...rest] = this.command(tool, args);
    execFileSync(command!, rest, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  }
}
