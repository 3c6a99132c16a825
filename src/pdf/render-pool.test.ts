import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FONT_PATHS, GlyphMissingError, loadFontChain } from './fonts.ts';
import { extractSignature } from './pades.ts';
import { createPooledDocumentFactory, createRenderPool, RenderPoolError, renderPoolTestHooks } from './render-pool.ts';
import type { RenderPool } from './render-pool.ts';
import { sampleLicenceInput } from './sample-input.ts';
import { generateIssuerCa, issueDepartmentSigningCert } from '../pki/dev-pki.ts';
import type { SigningMaterial } from '../pki/dev-pki.ts';

const OUT = join(process.cwd(), 'test-output', 'render-pool');

function licenceId(i: number): string {
  return `LV-2024-3501-${String(900000 + i).padStart(6, '0')}`;
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; codePoint?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('pdf: render pool (worker threads)', function () {
  this.timeout(60000);
  let signer: SigningMaterial;
  let pool: RenderPool;
  const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000);

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    const ca = await generateIssuerCa({ commonName: 'Pool Test CA', organization: 'Pool Test' });
    signer = await issueDepartmentSigningCert(ca, { commonName: 'Pool Test Signer', organization: 'Pool Test', departmentCode: '11110000MB0123456X' });
    pool = createRenderPool({ size: 2, testHooks: true });
    await pool.ready();
  });

  after(async () => {
    await pool?.close({ force: true });
  });

  it('renders and signs 20 licences concurrently, each with its own id and a valid signature', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => licenceId(i));
    const pdfs = await Promise.all(ids.map((id) => pool.render(sampleLicenceInput({ licenceId: id }), signer, { signingTime, reason: `E-licence ${id} issued` })));
    expect(pool.stats().completed).to.be.at.least(20);
    for (const [i, pdf] of pdfs.entries()) {
      expect(pdf).to.be.instanceOf(Uint8Array);
      expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).to.equal('%PDF-');
      const sig = extractSignature(pdf);
      expect(sig.byteRange[0]).to.equal(0);
      expect(sig.byteRange[2]! + sig.byteRange[3]!).to.equal(pdf.length);
      const path = join(OUT, `pooled-${i}.pdf`);
      writeFileSync(path, pdf);
      const text = execFileSync('pdftotext', ['-enc', 'UTF-8', path, '-']).toString('utf8');
      expect(text).to.contain(ids[i]);
      for (const other of ids) if (other !== ids[i]) expect(text).not.to.contain(other);
    }
    for (const i of [0, 7, 19]) {
      const r = spawnSync('pdfsig', [join(OUT, `pooled-${i}.pdf`)], { encoding: 'utf8' });
      const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
      expect(out).to.contain('Signature is Valid.');
      expect(out).to.contain('Total document signed');
      expect(out).to.contain('ETSI.CAdES.detached');
    }
  });

  it('rethrows GlyphMissingError from the worker with its code and code point', async () => {
    const err = await rejection(pool.render(sampleLicenceInput({ holderName: '张\u{3134A}三' }), signer, { signingTime }));
    expect(err).to.be.instanceOf(GlyphMissingError);
    expect(err.code).to.equal('GLYPH_MISSING');
    expect(err.codePoint).to.equal('U+3134A');
    expect((err as GlyphMissingError).missing).to.deep.equal(['U+3134A']);
    // the worker survived
    const pdf = await pool.render(sampleLicenceInput(), signer, { signingTime });
    expect(pdf.length).to.be.greaterThan(1000);
  });

  it('other worker errors keep their message (bad key)', async () => {
    const bad = { keyPem: 'not a key', chainPem: signer.chainPem };
    const err = await rejection(pool.render(sampleLicenceInput(), bad, { signingTime }));
    expect(err).not.to.be.instanceOf(RenderPoolError);
    expect(err.message).to.be.a('string').and.not.equal('');
  });

  it('a worker that exits mid-job rejects that job, is replaced, and the pool keeps working', async () => {
    const hooks = renderPoolTestHooks(pool);
    const before = pool.stats().restarts;
    const err = await rejection(hooks.exitWorker(3));
    expect(err).to.be.instanceOf(RenderPoolError);
    expect(err.code).to.equal('RENDER_WORKER_CRASHED');
    expect(err.message).to.contain('code 3');
    const pdfs = await Promise.all([1, 2, 3, 4].map((i) => pool.render(sampleLicenceInput({ licenceId: licenceId(100 + i) }), signer, { signingTime })));
    expect(pdfs).to.have.length(4);
    expect(pool.stats().restarts).to.equal(before + 1);
  });

  it('workers terminated from outside reject their in-flight jobs; queued jobs still complete', async () => {
    const hooks = renderPoolTestHooks(pool);
    await pool.ready();
    const jobs = [0, 1, 2, 3].map((i) => pool.render(sampleLicenceInput({ licenceId: licenceId(200 + i) }), signer, { signingTime }));
    const settled = Promise.allSettled(jobs);
    expect(pool.stats().busy).to.equal(2); // jobs 0 and 1 in flight, 2 and 3 queued
    await Promise.all(hooks.workers().map((w) => w.terminate()));
    const results = await settled;
    const crashed = results.filter((r) => r.status === 'rejected' && (r.reason as RenderPoolError).code === 'RENDER_WORKER_CRASHED');
    expect(crashed).to.have.length(2);
    expect(results[2]!.status).to.equal('fulfilled');
    expect(results[3]!.status).to.equal('fulfilled');
  });

  it('a job that blocks its worker past jobTimeoutMs rejects with RENDER_TIMEOUT and the worker is replaced', async () => {
    const p = createRenderPool({ size: 1, jobTimeoutMs: 1500, testHooks: true });
    try {
      await p.ready();
      const queued = p.render(sampleLicenceInput({ licenceId: licenceId(600) }), signer, { signingTime });
      const err = await rejection(renderPoolTestHooks(p).hangWorker());
      expect(err.code).to.equal('RENDER_TIMEOUT');
      expect((await queued).length).to.be.greaterThan(1000); // ran on the replacement worker
      expect(p.stats().restarts).to.equal(1);
    } finally {
      await p.close({ force: true });
    }
  });

  it('backpressure: a full queue makes render wait (default) or reject with RENDER_POOL_BUSY', async () => {
    const waiting = createRenderPool({ size: 1, maxQueue: 1 });
    const rejecting = createRenderPool({ size: 1, maxQueue: 1, overflow: 'reject' });
    try {
      await Promise.all([waiting.ready(), rejecting.ready()]);
      const jobs = [0, 1, 2, 3, 4, 5].map((i) => waiting.render(sampleLicenceInput({ licenceId: licenceId(300 + i) }), signer, { signingTime }));
      expect(waiting.stats()).to.include({ busy: 1, queued: 1, waiting: 4 });
      expect(await Promise.all(jobs)).to.have.length(6);

      const a = rejecting.render(sampleLicenceInput(), signer, { signingTime }); // in flight
      const b = rejecting.render(sampleLicenceInput(), signer, { signingTime }); // queued
      const err = await rejection(rejecting.render(sampleLicenceInput(), signer, { signingTime }));
      expect(err.code).to.equal('RENDER_POOL_BUSY');
      await Promise.all([a, b]);
    } finally {
      await Promise.all([waiting.close(), rejecting.close()]);
    }
  });

  it('close() lets accepted jobs finish, resolves, and later render calls reject', async () => {
    const p = createRenderPool({ size: 1 });
    const jobs = [0, 1, 2].map((i) => p.render(sampleLicenceInput({ licenceId: licenceId(400 + i) }), signer, { signingTime }));
    await p.close();
    expect(await Promise.all(jobs)).to.have.length(3);
    const err = await rejection(p.render(sampleLicenceInput(), signer, { signingTime }));
    expect(err.code).to.equal('RENDER_POOL_CLOSED');
    await p.close(); // idempotent
  });

  it('close({ force: true }) rejects queued and in-flight jobs', async () => {
    const p = createRenderPool({ size: 1 });
    await p.ready();
    const settled = Promise.allSettled([0, 1, 2].map(() => p.render(sampleLicenceInput(), signer, { signingTime })));
    await p.close({ force: true });
    const results = await settled;
    expect(results.every((r) => r.status === 'rejected' && (r.reason as RenderPoolError).code === 'RENDER_POOL_CLOSED')).to.equal(true);
  });

  it('a pool whose workers cannot start fails fast instead of respawning', async () => {
    const p = createRenderPool({ size: 1, fontPaths: ['/nonexistent/font.ttf'] });
    const job = p.render(sampleLicenceInput(), signer, { signingTime });
    const err = await rejection(p.ready());
    expect(err.code).to.equal('RENDER_POOL_START_FAILED');
    expect(err.message).to.contain('No font could be loaded');
    expect((await rejection(job)).code).to.equal('RENDER_POOL_START_FAILED');
    expect(p.stats().restarts).to.equal(0);
    await p.close();
  });

  it('createPooledDocumentFactory honours the LicenceDocumentFactory contract', async () => {
    const fonts = loadFontChain(DEFAULT_FONT_PATHS);
    const factory = createPooledDocumentFactory(pool, fonts, async (issuerCode) => {
      expect(issuerCode).to.equal('11110000MB0123456X');
      return { keyPem: signer.keyPem, chainPem: signer.chainPem };
    });
    expect(factory.missingGlyphs('张\u{3134A}三')).to.deep.equal(['U+3134A']);
    const pdf = await factory.produce(sampleLicenceInput({ licenceId: licenceId(500) }), '11110000MB0123456X', signingTime);
    const path = join(OUT, 'factory.pdf');
    writeFileSync(path, pdf);
    const out = spawnSync('pdfsig', [path], { encoding: 'utf8' }).stdout;
    expect(out).to.contain('Signature is Valid.');
    expect(Buffer.from(pdf).toString('latin1')).to.contain(`/Reason (E-licence ${licenceId(500)} issued)`);
  });

  it('in a plain `node --import tsx` process: pending work keeps the process alive, an idle pool does not', () => {
    const poolUrl = new URL('./render-pool.ts', import.meta.url).href;
    const script = `
      import { createRenderPool } from ${JSON.stringify(poolUrl)};
      const pool = createRenderPool({ size: 1, fontPaths: ['/nonexistent.ttf'] });
      const err = await pool.ready().catch((e) => e); // no ready() ref of its own: the starting worker holds one
      console.log('STARTED', err.code);
      const ok = createRenderPool({ size: 1 });
      await ok.ready();
      console.log('READY', ok.stats().ready); // never closed: must still exit
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30000 });
    expect(r.stdout).to.contain('STARTED RENDER_POOL_START_FAILED');
    expect(r.stdout).to.contain('READY 1');
    expect(r.signal, 'process hung (killed by timeout)').to.equal(null);
    expect(r.status).to.equal(0);
  });

  it('renderPoolTestHooks refuses pools created without testHooks', async () => {
    const p = createRenderPool({ size: 1 });
    try {
      expect(() => renderPoolTestHooks(p)).to.throw(/testHooks/);
    } finally {
      await p.close({ force: true });
    }
  });
});
