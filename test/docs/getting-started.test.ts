/**
 * The getting-started page runs. Its commands are read back from the page as served (zh-CN and English,
 * which must show the same commands), HTML entities decoded as a browser shows them, and fed step by step to
 * one bash, `set -euo pipefail`, against a real TestVault: what a reader copies is what this runs. Between
 * steps the test checks what each step was for (a token, a licence, its PDF, a verified report, a consent,
 * the department's answer and the holder's data tracker).
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { PUBLIC_BASE_URL, TestVault } from '../support/test-vault.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface PageStep {
  id: string;
  run: boolean;
  commands: string;
}

/** The command blocks of a served page, as a browser shows (and a reader copies) them. */
export function commandBlocks(html: string): PageStep[] {
  const blocks = [...html.matchAll(/<pre class="commands" data-step="([a-z-]+)" data-run="(yes|no)"[^>]*><code class="language-bash">([\s\S]*?)<\/code><\/pre>/g)];
  return blocks.map((m) => ({ id: m[1]!, run: m[2] === 'yes', commands: decodeEntities(m[3]!) }));
}

function decodeEntities(text: string): string {
  if (/<[a-z]/i.test(text)) throw new Error('markup inside a command block: the reader would not copy it');
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

/** One bash for the whole walk-through, so variables carry from step to step as in the reader's terminal. */
class Shell {
  private out = '';
  private err = '';
  private exited: number | null = null;
  private readonly bash: ChildProcessWithoutNullStreams;
  private step = 0;

  constructor(readonly cwd: string, env: Record<string, string>) {
    this.bash = spawn('bash', ['--noprofile', '--norc'], { cwd, env: { ...process.env, ...env } });
    this.bash.stdout.on('data', (d: Buffer) => { this.out += d.toString('utf8'); });
    this.bash.stderr.on('data', (d: Buffer) => { this.err += d.toString('utf8'); });
    this.bash.on('exit', (code) => { this.exited = code ?? 1; });
    this.bash.stdin.write('set -euo pipefail\n');
  }

  /** Runs a step's commands (from a file, stdin closed, as pasted into a terminal) and reports what it printed. */
  async run(commands: string, names: string[], timeoutMs = 120_000): Promise<{ stdout: string; stderr: string; vars: Record<string, string> }> {
    const file = path.join(this.cwd, `.step-${++this.step}.sh`);
    fs.writeFileSync(file, `${commands}\n`);
    const marker = `__STEP_${this.step}_DONE__`;
    const from = { out: this.out.length, err: this.err.length };
    this.bash.stdin.write(`source ${file} < /dev/null\n`);
    for (const name of names) this.bash.stdin.write(`printf '__VAR__ %s=%s\\n' ${name} "\${${name}:-}"\n`);
    this.bash.stdin.write(`echo ${marker}\n`);
    const deadline = Date.now() + timeoutMs;
    while (!this.out.includes(marker)) {
      if (this.exited !== null || Date.now() > deadline) {
        throw new Error(`step failed (${this.exited !== null ? `bash exited ${this.exited}` : 'timed out'}):\n--- commands\n${commands}\n--- stdout\n${this.out.slice(from.out)}\n--- stderr\n${this.err.slice(from.err)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const stdout = this.out.slice(from.out, this.out.indexOf(marker));
    const vars = Object.fromEntries([...stdout.matchAll(/^__VAR__ (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    return { stdout: stdout.replace(/^__VAR__ .*\n/gm, ''), stderr: this.err.slice(from.err), vars };
  }

  close(): void {
    this.bash.stdin.end();
    this.bash.kill();
  }
}

describe('the getting-started page', function () {
  this.timeout(600_000);
  let vault: TestVault;
  let work: string;
  let shell: Shell;
  let steps: PageStep[];

  before(async () => {
    // The anchorer on, quickly, so the receipt the page waits for comes within a second.
    vault = await TestVault.start({ env: { ANCHORER_ENABLED: 'true', ANCHOR_INTERVAL_MS: '300' } });
    const pages = await Promise.all(['zh-CN', 'en'].map(async (lang) => (await fetch(`${vault.baseUrl}/docs/getting-started?lang=${lang}`)).text()));
    const [zh, en] = pages.map(commandBlocks);
    expect(zh, 'the Chinese and English pages show the same commands').to.deep.equal(en);
    steps = zh!;
    // The reader works in the repository; this runs in a scratch directory that looks like it, so the files
    // the steps write (licence.pdf, receipt.json, …) do not land in the working tree.
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-getting-started-'));
    for (const entry of ['package.json', 'node_modules', 'src', 'tsconfig.json']) fs.symlinkSync(path.join(REPO, entry), path.join(work, entry));
    shell = new Shell(work, { VAULT: vault.baseUrl, PUBLIC_BASE_URL, DATA_DIR: vault.config.dataDir });
  });
  after(async () => {
    shell?.close();
    await vault?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const step = (id: string) => {
    const found = steps.find((s) => s.id === id);
    if (!found) throw new Error(`the page has no step ${id}`);
    return found;
  };
  const file = (name: string) => fs.readFileSync(path.join(work, name));
  const json = (name: string) => JSON.parse(file(name).toString('utf8'));

  it('goes token → issue → download → verify → consent → query, every step meant to be run', () => {
    expect(steps.map((s) => s.id)).to.deep.equal(['start', 'setup', 'token', 'issue', 'download', 'verify', 'consent', 'query']);
    expect(step('start')).to.deep.equal({ id: 'start', run: false, commands: 'npm ci && npm start' });
    expect(steps.filter((s) => s.id !== 'start').every((s) => s.run)).to.equal(true);
    // Placeholders a shell would read as redirections (<id>) or leave unexpanded never appear.
    for (const s of steps) expect(s.commands, s.id).not.to.match(/<(id|code|token|licence[-_ ]?id)>/i);
  });

  it('sets up the shell and reaches the service', async () => {
    const { stdout } = await shell.run(step('setup').commands, ['VAULT', 'PUBLIC_BASE_URL', 'DATA_DIR']);
    expect(stdout).to.include('{"status":"ok"}');
  });

  it('step 1: signs a client assertion with the development key and gets an access token', async () => {
    const { vars } = await shell.run(step('token').commands, ['T', 'ASSERTION']);
    expect(vars.ASSERTION).to.match(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(vars.T).to.match(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(json('token.json')).to.include({ token_type: 'Bearer', scope: 'issuer' });
    // The command-line shortcut the page offers works too.
    const shortcut = /<pre><code>(T=\$\(npm run -s cli -- token[^<]*)<\/code><\/pre>/.exec(await (await fetch(`${vault.baseUrl}/docs/getting-started?lang=en`)).text())?.[1];
    expect(shortcut, 'the shortcut is on the page').to.be.a('string');
    expect((await shell.run(decodeEntities(shortcut!), ['T'])).vars.T).to.match(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('step 2: issues a food business licence', async () => {
    const { stdout, vars } = await shell.run(step('issue').commands, ['ID']);
    expect(vars.ID).to.match(/^FB\.111101050000100149\.\d{10}\.01\.[0-9A-Z]$/);
    expect(stdout).to.include(vars.ID);
    const licence = json('licence.json');
    expect(licence).to.include({ id: vars.ID, status: 'active' });
    expect(licence.holder).to.deep.equal({ kind: 'organisation', id: '91350100M000100Y43', name: '北京𠮷𪚥餐饮管理有限公司' });
    expect(licence.verificationCode).to.match(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  });

  it('step 3: the holder downloads the signed PDF', async () => {
    await shell.run(step('download').commands, ['H']);
    const pdf = file('licence.pdf');
    expect(pdf.subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    expect(pdf.toString('latin1')).to.include('/ETSI.CAdES.detached');
  });

  it('step 4: waits for the receipt, and both POST /verify and the command line verify the PDF', async () => {
    const { stdout } = await shell.run(step('verify').commands, []);
    expect(stdout.split('\n')).to.include('valid');
    expect(stdout).to.include('VERIFIED');
    const report = json('report.json');
    expect(report).to.include({ ok: true, complete: true });
    expect(report.checks.map((c: { check: string; ok: boolean }) => `${c.check}:${c.ok}`)).to.deep.equal(['signature:true', 'issuer:true', 'documentHash:true', 'inclusion:true', 'checkpoint:true', 'anchor:true', 'status:true']);
  });

  it('step 5: the tax bureau asks for consent, and the company approves it', async () => {
    const { stdout, vars } = await shell.run(step('consent').commands, ['TAX', 'REQUEST', 'CONSENT']);
    expect(stdout).to.include('餐饮企业发票领用');
    expect(vars.REQUEST).to.match(/^cr_/);
    expect(vars.CONSENT).to.match(/^cns_[0-9a-f-]{36}$/);
  });

  it('step 6: the tax bureau queries under the consent, and the company sees it in its data tracker', async () => {
    const { stdout } = await shell.run(step('query').commands, []);
    const lines = stdout.trim().split('\n');
    expect(lines.at(-2)).to.equal('active');
    expect(lines.at(-1)).to.match(/\p{Script=Han}/u);
    const answer = json('answer.json');
    expect(answer.results).to.have.length(1);
    expect(answer.results[0].disclosedFields.map((f: { name: string }) => f.name).sort()).to.deep.equal(['legalRepresentative', 'mainBusinessFormat', 'premises']);
    expect(answer.results[0].disclosedFields.find((f: { name: string }) => f.name === 'legalRepresentative').value).to.equal('张𠮷');
  });
});
