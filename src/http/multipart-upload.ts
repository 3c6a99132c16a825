/**
 * multipart/form-data uploads (busboy, streaming each file to where the route's target puts it, e.g. the
 * object store): only for routes that take files, only after the bearer token checked out, with per-file
 * size limits. The parsed body is the form fields plus each file's stored name, so openapi-backend
 * validates it like any other body.
 */
import path from 'node:path';
import type { Writable } from 'node:stream';
import busboy from 'busboy';
import type { NextFunction, Request, Response } from 'express';
import { ApiProblem } from './problem.ts';

export interface UploadTarget {
  id: string;
  /** Where one file of the upload goes: its 'close' after 'finish' means stored, an 'error' means not. */
  open(storedName: string): Writable;
  /** Removes whatever the upload stored (the request was refused). */
  discard(): Promise<void>;
}

export function multipartUpload<P>(opts: {
  authenticate: (token: string) => Promise<P>;
  /** Whether this caller may upload at all: anyone else is refused before a byte of the body is stored. */
  mayUpload: (principal: P) => boolean;
  target: () => UploadTarget;
  files: Record<string, { storeAs: (original: string) => string; maxBytes: number }>;
}) {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST' || !(req.headers['content-type'] ?? '').startsWith('multipart/form-data')) return next();
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return next(); // openapi-backend answers 401 without reading the upload
    let principal: P;
    try {
      principal = await opts.authenticate(token);
    } catch {
      return next();
    }
    if (!opts.mayUpload(principal)) return next(new ApiProblem(403, 'ROLE_REQUIRED', 'uploads here need a department token with the issuer role'));
    const target = opts.target();
    // Whatever refuses the request after this point (validation, the handler), its files go with it: only
    // an accepted upload (2xx) is kept for the job that will read it.
    res.on('close', () => {
      if (res.statusCode >= 300) target.discard().catch(() => undefined); // best effort: nothing refers to these files
    });
    const body: Record<string, unknown> = { upload: { id: target.id } };
    const writes: Array<Promise<void>> = [];
    const outs = new Set<Writable>();
    let failure: ApiProblem | null = null;
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      if (error) return next(error);
      req.body = body;
      next();
    };
    /**
     * Answers now, without waiting for the rest of the body (up to gigabytes of scans): stops parsing,
     * drops what was written and closes the connection once the answer is out.
     */
    const refuseNow = (problem: ApiProblem) => {
      failure ??= problem;
      req.unpipe(parser);
      for (const out of outs) out.destroy();
      req.resume();
      res.setHeader('Connection', 'close');
      settle(failure);
    };
    const parser = busboy({ headers: req.headers, limits: { files: Object.keys(opts.files).length, fields: 20, fieldSize: 1024 } });
    parser.on('field', (name, value) => {
      // A text field may not stand in for a file (its value would become the stored file's name, a path
      // the job then reads) nor for the upload target.
      if (name in opts.files || name === 'upload') {
        failure ??= new ApiProblem(400, 'UPLOAD_INVALID', `${name} must be sent as a file`, { errors: [{ field: name, message: 'must be a file part' }] });
        return;
      }
      body[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      const spec = opts.files[name];
      if (!spec) {
        failure ??= new ApiProblem(400, 'UPLOAD_INVALID', `unexpected file field ${name}`, { errors: [{ field: name, message: 'is not accepted' }] });
        return stream.resume();
      }
      const stored = spec.storeAs(path.basename(info.filename || name));
      body[name] = stored;
      let size = 0;
      const out = target.open(stored);
      outs.add(out);
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > spec.maxBytes && !out.destroyed) {
          stream.unpipe(out);
          refuseNow(new ApiProblem(413, 'UPLOAD_TOO_LARGE', `${name} is larger than ${spec.maxBytes} bytes`));
        }
      });
      // 'close' comes after 'finish', and also after destroy(): either way this file is done with.
      const written = new Promise<void>((resolve, reject) => out.on('close', () => resolve()).on('error', reject));
      written.catch(() => undefined); // after refuseNow nobody waits for it
      writes.push(written);
      stream.pipe(out);
    });
    parser.on('error', (error: Error) => settle(new ApiProblem(400, 'UPLOAD_INVALID', `the multipart body is malformed: ${error.message}`)));
    parser.on('close', () => {
      Promise.all(writes).then(() => settle(failure ?? undefined), settle);
    });
    req.pipe(parser);
  };
}
