import { createHash, randomBytes } from 'node:crypto';

import { expect } from 'chai';

import { loadS3TestConfig } from '../../test/support/s3-test-config.ts';
import type { S3Cfg } from '../../test/support/s3-test-config.ts';
import { createMinioClient, createS3ObjectStore, ObjectStoreUnavailableError } from './s3-object-store.ts';

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('S3 object store: configuration and errors (no server needed)', () => {
  it('rejects endpoints that are not plain http(s) base URLs', async () => {
    const base = { accessKey: 'a', secretKey: 'b', bucket: 'x' };
    for (const endpoint of ['127.0.0.1:7480', 'ftp://127.0.0.1', 'http://127.0.0.1:7480/some/path']) {
      const err = await caught(createS3ObjectStore({ ...base, endpoint }));
      expect(String(err)).to.match(/endpoint/);
    }
    expect(String(await caught(createS3ObjectStore({ ...base, endpoint: 'http://127.0.0.1', partSize: 1024 })))).to.match(/partSize/);
  });

  it('surfaces an unreachable server as ObjectStoreUnavailableError with a clear message', async () => {
    const err = await caught(
      createS3ObjectStore({ endpoint: 'http://127.0.0.1:9', accessKey: 'a', secretKey: 'b', bucket: 'licence-vault-test' }),
    );
    expect(err).to.be.instanceOf(ObjectStoreUnavailableError);
    const e = err as ObjectStoreUnavailableError;
    expect(e.code).to.equal('OBJECT_STORE_UNAVAILABLE');
    expect(e.message).to.match(/S3 bucketExists of bucket licence-vault-test at http:\/\/127\.0\.0\.1:9 failed: ECONNREFUSED/);
  });
});

describe('S3 object store: behaviour against a real server', function () {
  this.timeout(60_000);
  let cfg: S3Cfg;

  before(async function () {
    const res = await loadS3TestConfig();
    if ('skipReason' in res) {
      console.warn(`\n  !!! S3 object store suite SKIPPED: ${res.skipReason}\n`);
      this.skip();
    }
    cfg = res;
  });

  it('stores an object larger than the part size as a multipart upload', async () => {
    const store = await createS3ObjectStore(cfg);
    const key = `${cfg.keyPrefix}multipart/eleven-mib.bin`;
    const body = new Uint8Array(randomBytes(11 * 1024 * 1024));
    await store.put(key, body, 'application/octet-stream');
    const st = await createMinioClient(cfg).statObject(cfg.bucket, key);
    expect(st.etag, 'a multipart ETag ends in -<number of parts>').to.match(/-3$/);
    expect(Buffer.from((await store.get(key))!).equals(Buffer.from(body))).to.equal(true);
    await store.delete(key);
  });

  // put() sends one digest per body, the signed payload hash over http (no Content-MD5 beside it): that is
  // only a check if the server compares it with the body it received.
  it('the server refuses a body whose SHA-256 is not the signed payload hash', async () => {
    const client = createMinioClient(cfg);
    const body = Buffer.from('the body that is sent');
    const claimed = createHash('sha256').update('another body').digest('hex');
    const err = await caught(client.makeRequestStreamAsync({ method: 'PUT', bucketName: cfg.bucket, objectName: `${cfg.keyPrefix}digest/x`, headers: { 'Content-Length': String(body.length) } }, body, claimed, [200], cfg.region));
    expect((err as { code?: string }).code).to.equal('XAmzContentSHA256Mismatch');
    const store = await createS3ObjectStore(cfg);
    await store.put(`${cfg.keyPrefix}digest/y`, body, 'application/octet-stream');
    expect(Buffer.from((await store.get(`${cfg.keyPrefix}digest/y`))!).toString()).to.equal('the body that is sent');
  });

  it('refuses objectLock on an existing bucket that was created without it', async () => {
    const err = await caught(createS3ObjectStore({ ...cfg, objectLock: true }));
    expect(String(err)).to.match(/exists without object lock/);
  });

  it('ping fails clearly when the bucket has gone', async () => {
    const bucket = `lv-gone-${randomBytes(4).toString('hex')}`;
    const store = await createS3ObjectStore({ ...cfg, bucket });
    await store.ping();
    await createMinioClient(cfg).removeBucket(bucket);
    const err = await caught(store.ping());
    expect(err).to.be.instanceOf(ObjectStoreUnavailableError);
    expect(String(err)).to.match(new RegExp(`${bucket}.*does not exist`));
  });

  it('surfaces wrong credentials as ObjectStoreUnavailableError', async () => {
    const err = await caught(createS3ObjectStore({ ...cfg, secretKey: 'wrong-secret' }));
    expect(err).to.be.instanceOf(ObjectStoreUnavailableError);
    expect(String(err)).to.match(/SignatureDoesNotMatch|AccessDenied|Forbidden/);
  });
});
