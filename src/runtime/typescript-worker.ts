/**
 * Starting a worker thread whose entry is a TypeScript file, under tsx as under compiled JavaScript.
 *
 * tsx and worker threads (checked on Node 20.20 / tsx 4.23, both `tsx src/main.ts` and mocha
 * `--node-option import=tsx`): `new Worker(new URL('../bootstrap/entry.ts', import.meta.url))` fails with
 * ERR_UNKNOWN_FILE_EXTENSION in BOTH launch modes, whether the worker inherits `process.execArgv` (which
 * does contain tsx's `--import`) or gets an explicit `execArgv: ['--import', 'tsx']` (tsx issue #354,
 * nodejs/node#47747). What works in both: start the worker from a tiny eval'd bootstrap that calls tsx's
 * documented `register()` (`tsx/esm/api`) inside the worker, then imports the entry. When the code runs
 * as compiled JavaScript (the entry's URL ends in .js), the worker is started directly from it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * URL of the ESM build of `tsx/esm/api`. Not import.meta.resolve: under mocha this module goes through
 * tsx's CJS path, where import.meta has only url/dirname/filename. Not require.resolve either: that gives
 * the CJS build, whose register() (tsx 4.23) points Node at a wrong loader path when used from a worker.
 */
function tsxEsmApiUrl(): string {
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports?: Record<string, { import?: string | { default?: string } }> };
  const target = pkg.exports?.['./esm/api']?.import;
  const rel = typeof target === 'string' ? target : (target?.default ?? './dist/esm/api/index.mjs');
  return pathToFileURL(join(dirname(pkgPath), rel)).href;
}

/** A worker running `entry` (a .ts or .js module URL) with `workerData`. */
export function spawnTypeScriptWorker(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  const bootstrap = `import(${JSON.stringify(tsxEsmApiUrl())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** The URL of a sibling entry module: `name`.ts when the caller runs as TypeScript, `name`.js when compiled. */
export function siblingEntry(callerUrl: string, name: string): URL {
  return new URL(callerUrl.endsWith('.ts') ? `./${name}.ts` : `./${name}.js`, callerUrl);
}
