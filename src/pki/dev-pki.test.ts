import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { generateIssuerCa, issueDepartmentSigningCert, departmentCodeFromCert } from './dev-pki.ts';
import type { CaMaterial, SigningMaterial } from './dev-pki.ts';

describe('dev-pki', function () {
  let ca: CaMaterial;
  let signer: SigningMaterial;
  let dir: string;

  before(async function () {
    ca = await generateIssuerCa({ commonName: 'Licence Vault Dev Issuer CA 开发根证书', organization: '某市政务服务数据管理局' });
    signer = await issueDepartmentSigningCert(ca, {
      commonName: '市场监督管理局电子证照签章',
      organization: '某市市场监督管理局',
      departmentCode: '11110000MB0123456X',
    });
    dir = mkdtempSync(join(tmpdir(), 'devpki-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('produces PKCS#8 keys matching the certificates', () => {
    expect(ca.keyPem).to.match(/^-----BEGIN PRIVATE KEY-----/);
    expect(signer.keyPem).to.match(/^-----BEGIN PRIVATE KEY-----/);
    const leaf = new X509Certificate(signer.certPem);
    const pub = createPublicKey(createPrivateKey(signer.keyPem)).export({ type: 'spki', format: 'pem' });
    expect(leaf.publicKey.export({ type: 'spki', format: 'pem' })).to.equal(pub);
    expect(signer.chainPem).to.deep.equal([signer.certPem, ca.certPem]);
  });

  it('CA has the right extensions', () => {
    const caCert = new X509Certificate(ca.certPem);
    expect(caCert.ca).to.equal(true);
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: ca.certPem }).toString();
    expect(text).to.match(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).to.match(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).to.contain('Subject Key Identifier');
    expect(text).to.contain('sha256WithRSAEncryption');
  });

  it('signing cert has the right extensions and subject', () => {
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-nameopt', 'utf8'], { input: signer.certPem }).toString();
    expect(text).to.match(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(text).to.match(/Extended Key Usage:\s+E-mail Protection, (1\.3\.6\.1\.5\.5\.7\.3\.36|Document Signing)/);
    expect(text).to.contain('Authority Key Identifier');
    expect(text).to.contain('某市市场监督管理局');
    expect(departmentCodeFromCert(signer.certPem)).to.equal('11110000MB0123456X');
    const leaf = new X509Certificate(signer.certPem);
    const serial = BigInt('0x' + leaf.serialNumber);
    expect(serial > 0n).to.equal(true);
    const caCert = new X509Certificate(ca.certPem);
    expect(leaf.checkIssued(caCert)).to.equal(true);
    expect(leaf.verify(caCert.publicKey)).to.equal(true);
  });

  it('verifies against the CA with openssl verify', () => {
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 'leaf.pem'), signer.certPem);
    const out = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'leaf.pem')]).toString();
    expect(out).to.contain(': OK');
  });
});
