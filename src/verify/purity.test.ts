/**
 * The verifier is bundled into a browser page: its modules (and everything
 * they import, transitively) must not use Node built-ins, Buffer or process.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const ALLOWED_PACKAGES = [/^node-forge$/, /^@noble\/hashes\//, /^@noble\/curves\//, /^@peculiar\/asn1-(schema|x509|cms)$/, /^asn1js$/];
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function isProductionSource(file: string): boolean {
  return file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.test-helpers.ts');
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function specifiers(source: string): string[] {
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;
  for (const m of source.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3] ?? m[4]) as string);
  return out;
}

/** The verifier's modules and every module they reach through relative imports. */
function closure(): Map<string, string> {
  const seen = new Map<string, string>();
  const queue = readdirSync(HERE).filter(isProductionSource).map((f) => join(HERE, f));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    seen.set(file, source);
    for (const spec of specifiers(source)) if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
  }
  return seen;
}

describe('verify: browser purity', function () {
  const files = closure();

  it('covers the verifier modules and the proof-core modules they use', function () {
    const names = [...files.keys()].map((f) => relative(ROOT, f));
    expect(names).to.include.members([
      'src/verify/licence-verifier.ts',
      'src/verify/receipt.ts',
      'src/verify/cms.ts',
      'src/verify/x509.ts',
      'src/verify/pdf-signature.ts',
      'src/proofs/merkle.ts',
      'src/proofs/checkpoint.ts',
      'src/proofs/verification-error.ts',
    ]);
    // The verifier and the proof core are the ground floor: nothing of the service is reachable from them.
    expect(names.filter((n) => !n.startsWith('src/verify/') && !n.startsWith('src/proofs/'))).to.deep.equal([]);
  });

  it('imports no node: module or Node built-in, and only allowed packages', function () {
    for (const [file, source] of files) {
      for (const spec of specifiers(source)) {
        const where = `${relative(ROOT, file)} imports ${spec}`;
        expect(spec.startsWith('node:'), where).to.equal(false);
        expect(BUILTINS.has(spec), where).to.equal(false);
        if (!spec.startsWith('.')) expect(ALLOWED_PACKAGES.some((p) => p.test(spec)), where).to.equal(true);
      }
    }
  });

  it('uses no Buffer, process, require or fetch', function () {
    for (const [file, source] of files) {
      const code = stripComments(source);
      for (const banned of [/\bBuffer\b/, /\bprocess\./, /\brequire\(/, /\bfetch\(/]) {
        expect(banned.test(code), `${relative(ROOT, file)} uses ${banned.source}`).to.equal(false);
      }
    }
  });
});
