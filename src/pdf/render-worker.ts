/**
 * worker_threads entry for the render pool (render-pool.ts): render + PAdES-sign licences off the main thread.
 *
 * The font chain is indexed ONCE per worker (paths from `workerData.fontPaths`). Parsed signer material
 * (private key, the signer's CMS template) is cached per thread by pades.ts `prepareSigner`
 * (keyed by the PEM text), so a warm worker does no PEM parsing per job.
 *
 * Protocol: one request in, exactly one response out, matched by `id`. The PDF's ArrayBuffer is
 * transferred, not copied. Errors are flattened to plain data; a GlyphMissingError keeps `code`,
 * `codePoint`, `char` and `missing` so the pool can rethrow an equivalent GlyphMissingError.
 *
 * Not imported by the main thread except for its types (`import type`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { GlyphMissingError, loadFontChain } from './fonts.ts';
import { renderSignedLicencePdf } from './render-licence.ts';
import type { LicenceDocumentInput } from './render-licence.ts';
import type { PadesSigner } from './pades.ts';

export interface RenderWorkerData {
  fontPaths: readonly string[];
  /** Honour the test-only requests. Never set in production. */
  testHooks?: boolean;
}

export interface RenderRequest {
  kind: 'render';
  id: number;
  input: LicenceDocumentInput;
  signer: PadesSigner;
  /** Epoch milliseconds. */
  signingTime: number;
  reason?: string;
  location?: string;
}

/** Test hooks (honoured only with `testHooks`): exit the thread, or block it, while this job is in flight. */
export interface TestRequest {
  kind: 'test';
  id: number;
  action: 'exit' | 'hang';
  code: number;
}

export type RenderWorkerRequest = RenderRequest | TestRequest;

export interface SerializedRenderError {
  message: string;
  name?: string;
  code?: string;
  /** GlyphMissingError only. */
  codePoint?: string;
  char?: string;
  missing?: string[];
  stack?: string;
}

export type RenderWorkerResponse =
  | { kind: 'ready' }
  | { kind: 'result'; id: number; pdf: Uint8Array }
  | { kind: 'error'; id: number; error: SerializedRenderError };

function serializeError(err: unknown): SerializedRenderError {
  if (err instanceof GlyphMissingError) {
    return { message: err.message, name: err.name, code: err.code, codePoint: err.codePoint, char: err.char, missing: [...err.missing] };
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { message: err.message, name: err.name, ...(typeof code === 'string' ? { code } : {}), ...(err.stack ? { stack: err.stack } : {}) };
  }
  return { message: String(err) };
}

/** The PDF as a Uint8Array that owns its whole ArrayBuffer, so transferring it moves exactly the PDF. */
function ownBuffer(pdf: Uint8Array): Uint8Array {
  return pdf.byteOffset === 0 && pdf.byteLength === pdf.buffer.byteLength && pdf.buffer instanceof ArrayBuffer ? pdf : pdf.slice();
}

const port = parentPort;
if (!port) throw new Error('render-worker.ts must run as a worker thread');
const data = workerData as RenderWorkerData;
const fonts = loadFontChain(data.fontPaths); // throws (worker exits before 'ready') if no font loads

port.on('message', (msg: RenderWorkerRequest) => {
  if (msg.kind === 'test') {
    if (data.testHooks && msg.action === 'exit') process.exit(msg.code);
    if (data.testHooks && msg.action === 'hang') for (;;); // until the pool's job timeout terminates us
    port.postMessage({ kind: 'error', id: msg.id, error: { message: 'test hooks are disabled' } } satisfies RenderWorkerResponse);
    return;
  }
  renderSignedLicencePdf(msg.input, fonts, msg.signer, {
    signingTime: new Date(msg.signingTime),
    ...(msg.reason !== undefined ? { reason: msg.reason } : {}),
    ...(msg.location !== undefined ? { location: msg.location } : {}),
  }).then(
    ({ pdf }) => {
      const own = ownBuffer(pdf);
      port.postMessage({ kind: 'result', id: msg.id, pdf: own } satisfies RenderWorkerResponse, [own.buffer as ArrayBuffer]);
    },
    (err: unknown) => {
      port.postMessage({ kind: 'error', id: msg.id, error: serializeError(err) } satisfies RenderWorkerResponse);
    },
  );
});

port.postMessage({ kind: 'ready' } satisfies RenderWorkerResponse);
