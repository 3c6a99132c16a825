import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { listenLocally } from '../../test/support/local-server.ts';
import type { LocalServer } from '../../test/support/local-server.ts';
import { multipartUpload } from './multipart-upload.ts';
import { ApiProblem } from './problem.ts';

describe('multipart uploads', () => {
  let root: string;
  let server: LocalServer;
  let base: string;
  const dirs: string[] = [];

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-upload-'));
    const app = express();
    app.use('/up', multipartUpload({
      authenticate: async (token) => token,
      mayUpload: () => true,
      target: () => {
        const dir = fs.mkdtempSync(path.join(root, 'job-'));
        dirs.push(dir);
        return { id: path.basename(dir), open: (name: string) => fs.createWriteStream(path.join(dir, name)), discard: async () => fs.rmSync(dir, { recursive: true, force: true }) };
      },
      files: { manifest: { storeAs: () => 'manifest.csv', maxBytes: 10 }, scans: { storeAs: () => 'scans.zip', maxBytes: 1000 } },
    }));
    app.post('/up', (req, res) => void res.status(202).json({ body: req.body }));
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const problem = error instanceof ApiProblem ? error : new ApiProblem(500, 'INTERNAL_ERROR', 'failed');
      res.status(problem.status).json(problem.toBody());
    });
    server = await listenLocally(app);
    base = server.base;
  });
  after(() => {
    server.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const post = async (form: FormData) => {
    const res = await fetch(`${base}/up`, { method: 'POST', headers: { authorization: 'Bearer issuer' }, body: form, signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  /** Whether the last upload's directory is still there (refused uploads are removed when the response closes). */
  const lastDirKept = async () => {
    await new Promise((r) => setTimeout(r, 50));
    return fs.existsSync(dirs.at(-1)!);
  };

  it('stores the files under their fixed names and hands them on with the text fields', async () => {
    const form = new FormData();
    form.append('manifest', new Blob(['a,b\n1,2\n']), 'register.csv');
    form.append('scans', new Blob([new Uint8Array(20)]), 'scans.zip');
    form.append('encoding', 'utf-8');
    const res = await post(form);
    expect(res.status).to.equal(202);
    expect(res.body.body).to.deep.include({ manifest: 'manifest.csv', scans: 'scans.zip', encoding: 'utf-8' });
    expect(fs.readFileSync(path.join(dirs.at(-1)!, 'manifest.csv'), 'utf8')).to.equal('a,b\n1,2\n');
  });

  it('refuses a text field in place of a file (its value would name the file the job reads) and keeps nothing', async () => {
    for (const name of ['manifest', 'upload']) {
      const form = new FormData();
      form.append(name, '../../../../etc/passwd');
      form.append('scans', new Blob([new Uint8Array(20)]), 'scans.zip');
      const res = await post(form);
      expect([res.status, res.body.code], name).to.deep.equal([400, 'UPLOAD_INVALID']);
      expect(res.body.errors[0].field).to.equal(name);
      expect(await lastDirKept()).to.equal(false);
    }
  });

  it('answers 413 as soon as a file passes its limit, before the client has sent the rest, and closes the connection', async () => {
    const { port } = new URL(base);
    const boundary = 'lv-boundary';
    const answer = await new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/up', method: 'POST', headers: { authorization: 'Bearer issuer', 'content-type': `multipart/form-data; boundary=${boundary}` } }, (res) => {
        resolve({ status: res.statusCode!, connection: res.headers.connection });
        res.resume();
      });
      req.on('error', reject);
      req.write(`--${boundary}\r\ncontent-disposition: form-data; name="manifest"; filename="register.csv"\r\ncontent-type: text/csv\r\n\r\n`);
      req.write('x'.repeat(64 * 1024)); // and then nothing more: the body never ends
      setTimeout(() => reject(new Error('no answer while the body was still open')), 3000).unref();
    });
    expect(answer).to.deep.equal({ status: 413, connection: 'close' });
    expect(await lastDirKept()).to.equal(false);
  });

  it('answers 413 for a whole body with a file over its limit and removes what was written', async () => {
    const form = new FormData();
    form.append('manifest', new Blob(['x'.repeat(5000)]), 'register.csv');
    form.append('scans', new Blob([new Uint8Array(20)]), 'scans.zip');
    const res = await post(form);
    expect([res.status, res.body.code]).to.deep.equal([413, 'UPLOAD_TOO_LARGE']);
    expect(await lastDirKept()).to.equal(false);
  });
});
