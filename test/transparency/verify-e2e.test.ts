/**
 * End to end: issue → anchored → receipt → `licence-vault verify` passes; revoke → LICENCE_REVOKED;
 * a PDF from another CA → CERT_UNTRUSTED; a tampered PDF → signature and document hash fail.
 * The CLI runs as a separate process, as an auditor would run it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { generateIssuerCa, issueDepartmentSigningCert } from '../../src/pki/dev-pki.ts';
import { DEFAULT_FONT_PATHS, loadFontChain } from '../../src/pdf/fonts.ts';
import { renderSignedLicencePdf } from '../../src/pdf/render-licence.ts';
import { sampleLicenceInput } from '../../src/pdf/sample-input.ts';
import { runCli } from '../support/cli.ts';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';

describe('verification end to end (CLI and POST /verify)', function () {
  this.timeout(120_000);
  let vault: TestVault;
  let market: string;
  let holder: string;
  let dir: string;
  let id: string;
  let pdfFile: string;
  let receiptFile: string;

  const run = (args: string[]) => runCli(['verify', ...args], {}, 60_000);
  const cli = (...args: string[]) => run([...args, '--url', vault.baseUrl]);

  before(async () => {
    vault = await TestVault.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-verify-'));
    [market, holder] = await Promise.all([vault.departmentToken(DEPARTMENTS.market), vault.holderToken(HOLDERS.companyA)]);
    id = (await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).body.id;
    await vault.vault.anchorer.runOnce(true);
    pdfFile = path.join(dir, 'licence.pdf');
    receiptFile = path.join(dir, 'receipt.json');
    fs.writeFileSync(pdfFile, (await vault.request('GET', `/licences/${id}/document`, { token: holder })).bytes);
    fs.writeFileSync(receiptFile, JSON.stringify((await vault.request('GET', `/licences/${id}/receipt`, { token: holder })).body));
  });
  after(async () => {
    await vault?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the CLI verifies a freshly issued, anchored licence (exit 0, all seven checks pass)', async () => {
    const result = await cli(pdfFile, '--receipt', receiptFile, '--json');
    expect(result.status, result.stderr).to.equal(0);
    const report = JSON.parse(result.stdout);
    expect(report).to.include({ ok: true, complete: true, licenceId: id });
    expect(report.checks.map((c: { check: string; ok: boolean }) => [c.check, c.ok])).to.deep.equal([
      ['signature', true], ['issuer', true], ['documentHash', true], ['inclusion', true], ['checkpoint', true], ['anchor', true], ['status', true],
    ]);
  });

  it('the CLI works offline with pinned trust material (no ledger questions asked)', async () => {
    const vkeyFile = path.join(dir, 'vkey');
    fs.writeFileSync(vkeyFile, vault.vault.transparency.vkey);
    const result = await run([pdfFile, '--receipt', receiptFile, '--offline', '--ca', vault.issuerCaPath, '--vkey', vkeyFile, '--url', 'http://127.0.0.1:1']);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/SKIP\s+anchor/);
    expect(result.stdout).to.include('VERIFIED (some checks not run)');
  });

  it('without a receipt the CLI does not call the PDF verified (exit 3): it is tied to no licence and its status is unknown', async () => {
    const result = await cli(pdfFile, '--json');
    expect(result.status, result.stderr).to.equal(3);
    expect(JSON.parse(result.stdout)).to.include({ ok: true, complete: false });
    expect(result.stderr).to.match(/not fully verified: documentHash, inclusion, checkpoint, anchor, status not checked \(give --receipt/);
  });

  it('POST /verify finds the receipt by the document hash and verifies', async () => {
    const res = await vault.request('POST', '/verify', { json: { pdf: fs.readFileSync(pdfFile).toString('base64') } });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ ok: true, complete: true, licenceId: id });
  });

  it("still verifies an old receipt once the ledger anchors a later tree: the log's consistency proof ties the two", async () => {
    await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() });
    await vault.vault.anchorer.runOnce(true);
    const oldReceipt = JSON.parse(fs.readFileSync(receiptFile, 'utf8')) as { treeSize: number };
    const anchored = (await vault.request('GET', '/ledger/facts')).body.anchoredCheckpoint as { size: number };
    expect(anchored.size).to.be.greaterThan(oldReceipt.treeSize);
    const result = await cli(pdfFile, '--receipt', receiptFile, '--json');
    expect(result.status, result.stderr).to.equal(0);
    const anchor = (JSON.parse(result.stdout).checks as Array<{ check: string; ok: boolean; detail: string }>).find((c) => c.check === 'anchor')!;
    expect(anchor.ok).to.equal(true);
    expect(anchor.detail).to.match(/consistency proof/);
    const byServer = await vault.request('POST', '/verify', { json: { pdf: fs.readFileSync(pdfFile).toString('base64'), receipt: oldReceipt } });
    expect(byServer.body).to.include({ ok: true, complete: true, licenceId: id });

    // The database failing while the proof is read is an outage (503, retry), not a verdict on the licence.
    const logs = (vault.vault.transparency as unknown as { deps: { logs: { consistencyProof: (...a: unknown[]) => Promise<unknown> } } }).deps.logs;
    const original = logs.consistencyProof;
    logs.consistencyProof = () => Promise.reject(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }));
    try {
      const duringOutage = await vault.request('POST', '/verify', { json: { pdf: fs.readFileSync(pdfFile).toString('base64'), receipt: oldReceipt } });
      expect([duringOutage.status, duringOutage.body.code]).to.deep.equal([503, 'DATABASE_UNAVAILABLE']);
    } finally {
      logs.consistencyProof = original;
    }
  });

  it('a tampered PDF fails the signature and document-hash checks', async () => {
    const bytes = fs.readFileSync(pdfFile);
    bytes[bytes.length - 200] = bytes[bytes.length - 200]! ^ 0x20;
    const tampered = path.join(dir, 'tampered.pdf');
    fs.writeFileSync(tampered, bytes);
    const result = await cli(tampered, '--receipt', receiptFile, '--json');
    expect(result.status).to.equal(1);
    const codes = JSON.parse(result.stdout).checks.filter((c: { ok: boolean }) => c.ok === false).map((c: { code: string }) => c.code);
    expect(codes).to.include.members(['SIGNATURE_INVALID', 'DOCUMENT_HASH_MISMATCH']);
  });

  it('a PDF signed under another CA is CERT_UNTRUSTED', async () => {
    const rogueCa = await generateIssuerCa({ commonName: 'Rogue CA', organization: 'Rogue' });
    const rogue = await issueDepartmentSigningCert(rogueCa, { commonName: 'Rogue Bureau', organization: 'Rogue', departmentCode: DEPARTMENTS.market });
    const { pdf } = await renderSignedLicencePdf(sampleLicenceInput({ licenceId: id }), loadFontChain(DEFAULT_FONT_PATHS), rogue, { signingTime: new Date() });
    const res = await vault.request('POST', '/verify', { json: { pdf: Buffer.from(pdf).toString('base64') } });
    expect(res.body.ok).to.equal(false);
    const issuer = res.body.checks.find((c: { check: string }) => c.check === 'issuer');
    expect(issuer).to.include({ ok: false, code: 'CERT_UNTRUSTED' });
  });

  it('after revocation reaches the ledger, the CLI reports LICENCE_REVOKED', async () => {
    await vault.request('POST', `/licences/${id}/status-changes`, { token: market, json: { action: 'revoke', reason: 'licence obtained by fraud' } });
    await vault.vault.anchorer.runOnce(true);
    const result = await cli(pdfFile, '--receipt', receiptFile, '--json');
    expect(result.status).to.equal(1);
    const status = JSON.parse(result.stdout).checks.find((c: { check: string }) => c.check === 'status');
    expect(status).to.include({ ok: false, code: 'LICENCE_REVOKED' });
    const human = await cli(pdfFile, '--receipt', receiptFile);
    expect(human.stdout).to.match(/FAIL\s+status\s+LICENCE_REVOKED/);
    expect(human.stdout).to.include('NOT VERIFIED');
  });

  it('POST /verify refuses a body that is not base64 with a problem', async () => {
    const res = await vault.request('POST', '/verify', { json: { pdf: '%%%not base64%%%' } });
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal('PDF_NOT_BASE64');
  });

  it('rate-limits POST /verify per client', async () => {
    const limited = await TestVault.start({ env: { VERIFY_RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await limited.request('POST', '/verify', { json: { pdf: 'JVBERi0=' } })).status);
      expect(statuses.slice(3)).to.deep.equal([429, 429]);
    } finally {
      await limited.stop();
    }
  });
});
