/**
 * The floors of the house, checked on the import graph of src/ (README "Architecture"): a folder imports
 * only from its own floor or below; no two folders import each other, even through others; services,
 * stores, pipelines and adapters never import the HTTP edge (only route files and the composition root
 * do); the proof core imports nothing outside itself but its hash and curve libraries.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(ROOT, 'src');

/** Bottom up. A folder on floor n may import folders on floors 0..n. A new folder must be placed here. */
export const FLOORS: Record<string, number> = {
  // 0 — the proof core: RFC 9162 trees and proofs, C2SP checkpoints and notes, canonical JSON, field
  //     commitments, the coded verification error. Pure: no I/O, no Node APIs.
  proofs: 0,
  // 1 — pure rules and small tools: the licence verifier (on the proof core), identifiers, domain errors,
  //     hashing, caches, logging and metrics, worker start-up, the development PKI.
  verify: 1, identity: 1, errors: 1, hashing: 1, caching: 1, observability: 1, runtime: 1, pki: 1,
  // 2 — ports and their adapters for the outside world: database, object store, ledger, department
  //     registry, the licence-type catalogue, who is calling, configuration.
  db: 2, config: 2, storage: 2, ledger: 2, departments: 2, principals: 2, catalogue: 2,
  // 3 — the transparency log store, tokens and keys, and the HTTP machinery the route files use.
  log: 3, auth: 3, http: 3,
  // — and the crosswalk of holder identifiers (old ones that still find their holder).
  holders: 3,
  // 4 — the licence capability (its types, store, service, routes) and company agents.
  licences: 4, agents: 4,
  // 5 — what builds on licences: PDF rendering (the document port's adapter), receipts and anchoring,
  //     consents.
  pdf: 5, transparency: 5, consent: 5,
  // 6 — the exchange, digitization, and development bootstrap.
  exchange: 6, digitize: 6, bootstrap: 6,
  // 7 — what gathers from several capabilities for a person: the holder's notification feed.
  notifications: 7,
  // 8 — edges: the composition root (src/*.ts), the anchorer's thread, the CLI, pages, operations.
  '.': 8, 'anchorer-thread': 8, cli: 8, web: 8, operations: 8,
};

interface SourceFile {
  path: string; // relative to src/
  folder: string;
  imports: Array<{ spec: string; target: string | null }>; // target: relative path under src/, or null for a package
}

function productionSources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...productionSources(full));
    else if (/\.ts$/.test(name) && !/\.test\.ts$|\.test-helpers\.ts$|\.d\.ts$/.test(name)) out.push(full);
  }
  return out;
}

function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const re = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;
  return [...code.matchAll(re)].map((m) => (m[1] ?? m[2] ?? m[3]) as string);
}

function folderOf(relPath: string): string {
  return relPath.includes('/') ? relPath.split('/')[0]! : '.';
}

/**
 * Where a file stands in the graph. A route file (`*-routes.ts`) sits beside its capability (one folder per
 * capability) but belongs to the HTTP edge: its imports count from the top floor, as its own node. Each
 * file of the composition root (src/*.ts) is a node of its own too.
 */
function nodeOf(relPath: string): { node: string; floor: number | undefined } {
  if (/-routes\.ts$/.test(relPath) || folderOf(relPath) === '.') return { node: relPath, floor: FLOORS['.'] };
  return { node: folderOf(relPath), floor: FLOORS[folderOf(relPath)] };
}

const files: SourceFile[] = productionSources(SRC).map((full) => {
  const path = relative(SRC, full);
  const imports = specifiers(readFileSync(full, 'utf8')).map((spec) => ({
    spec,
    target: spec.startsWith('.') ? relative(SRC, resolve(dirname(full), spec)) : null,
  }));
  return { path, folder: folderOf(path), imports };
});

/** Files at the HTTP edge: they may import src/http/. */
function isEdgeFile(path: string): boolean {
  return /-routes\.ts$/.test(path) || folderOf(path) === '.' || ['http', 'cli', 'web', 'operations'].includes(folderOf(path));
}

describe('architecture: the floors of src/', function () {
  it('reads the whole tree (sanity)', function () {
    expect(files.length).to.be.greaterThan(100);
    expect(files.map((f) => f.path)).to.include.members(['proofs/merkle.ts', 'verify/licence-verifier.ts', 'compose.ts']);
  });

  it('places every folder on a floor', function () {
    const unplaced = [...new Set(files.map((f) => f.folder))].filter((folder) => FLOORS[folder] === undefined);
    expect(unplaced, 'add these folders to FLOORS (and to the README picture)').to.deep.equal([]);
  });

  it('imports only from the same floor or below', function () {
    const climbing: string[] = [];
    for (const file of files) {
      const from = nodeOf(file.path);
      for (const { spec, target } of file.imports) {
        if (target === null || target.startsWith('..')) continue;
        const to = nodeOf(target);
        if (to.node === from.node) continue;
        if ((to.floor ?? Infinity) > (from.floor ?? -1)) climbing.push(`${file.path} (floor ${from.floor}) imports ${spec} (floor ${to.floor})`);
      }
    }
    expect(climbing).to.deep.equal([]);
  });

  it('has no cycle between folders', function () {
    const edges = new Map<string, Set<string>>();
    for (const file of files) {
      const from = nodeOf(file.path).node;
      for (const { target } of file.imports) {
        if (target === null || target.startsWith('..')) continue;
        const to = nodeOf(target).node;
        if (to !== from) (edges.get(from) ?? edges.set(from, new Set()).get(from)!).add(to);
      }
    }
    const cycles: string[] = [];
    const reach = (from: string, to: string, seen = new Set<string>()): boolean => {
      if (from === to) return true;
      if (seen.has(from)) return false;
      seen.add(from);
      return [...(edges.get(from) ?? [])].some((next) => reach(next, to, seen));
    };
    for (const [from, tos] of edges) for (const to of tos) if (reach(to, from)) cycles.push(`${from} → ${to} → … → ${from}`);
    expect(cycles).to.deep.equal([]);
  });

  it('keeps HTTP at the edge: no service, store, pipeline or adapter imports src/http/', function () {
    const offenders = files.flatMap((file) =>
      isEdgeFile(file.path) ? [] : file.imports.filter((i) => i.target !== null && folderOf(i.target) === 'http').map((i) => `${file.path} imports ${i.spec}`));
    expect(offenders).to.deep.equal([]);
  });

  it('keeps the proof core pure: nothing outside src/proofs/ but @noble/hashes and @noble/curves, no Node APIs', function () {
    const core = files.filter((f) => f.folder === 'proofs');
    expect(core.length).to.be.greaterThan(5);
    for (const file of core) {
      for (const { spec, target } of file.imports) {
        const where = `${file.path} imports ${spec}`;
        if (target !== null) expect(folderOf(target), where).to.equal('proofs');
        else expect(/^@noble\/(hashes|curves)\//.test(spec), where).to.equal(true);
      }
      const code = readFileSync(join(SRC, file.path), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
      for (const banned of [/\bBuffer\b/, /\bprocess\./, /\brequire\(/, /\bfetch\(/, /\bsetTimeout\(/]) {
        expect(banned.test(code), `${file.path} uses ${banned.source}`).to.equal(false);
      }
    }
  });
});
