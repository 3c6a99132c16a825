/**
 * The web pages (verification page, citizen portal, auditor view): plain HTML and CSS from web/pages,
 * plus one small browser bundle per page built with esbuild from web/src (the verifier and the Merkle
 * code come from src/verify and src/transparency, bundled for the browser, so nothing runs on the server
 * that a page can do itself). Built once per process into a temporary directory and served under /app/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
export const WEB_ENTRY_POINTS = ['verify', 'portal', 'auditor'] as const;

let built: Promise<string> | undefined;

/** Builds web/ into `outDir` (default: a fresh temporary directory) and returns that directory. */
export async function buildWebAssets(outDir?: string): Promise<string> {
  const dir = outDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'licence-vault-web-'));
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(path.join(WEB_ROOT, 'pages'))) {
    fs.copyFileSync(path.join(WEB_ROOT, 'pages', name), path.join(dir, name));
  }
  await build({
    entryPoints: WEB_ENTRY_POINTS.map((name) => path.join(WEB_ROOT, 'src', `${name}.ts`)),
    outdir: dir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    // Shared code and what loads on demand (jsQR, only when the camera scans) go to chunks of their own.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    target: ['es2022'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
    // node-forge probes for Node's crypto; the browser build never needs it.
    external: [],
    define: { 'process.env.NODE_ENV': '"production"' },
    alias: { crypto: path.join(WEB_ROOT, 'src', 'empty-module.ts') },
  });
  return dir;
}

/** Static mounts for createApp: the built pages under /app (built once per process). */
export async function webStaticMounts(): Promise<Array<{ path: string; directory: string }>> {
  built ??= buildWebAssets();
  return [{ path: '/app', directory: await built }];
}
