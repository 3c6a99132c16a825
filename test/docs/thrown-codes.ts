/**
 * Every problem `code` the service can answer, read from the source: a static scan of src/ (tests
 * excluded) for the places a code is born —
 *   DomainError.<kind>('CODE', …) and DomainError.authenticationRequired(),
 *   new DomainError('<kind>', 'CODE', …),
 *   new ApiProblem(<status>, 'CODE', …),
 *   a `Record<…, DomainErrorKind>` table of codes (the exchange's refusals, the ledger's errors), and
 *   a local helper `function f(code: string, …) { return new ApiProblem(<status>, code, …) }` called as f('CODE', …).
 * A site whose code is none of these (a variable, a computed string) is reported as unresolved, so a new
 * way of making codes fails the catalogue test instead of slipping past it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DomainErrorKind } from '../../src/errors/domain-error.ts';
import { statusOfKind } from '../../src/http/problem.ts';

export interface ThrownCode {
  code: string;
  status: number;
  /** file:line */
  where: string;
}

export interface ScanResult {
  codes: ThrownCode[];
  /** Sites that make a problem whose code this scan cannot read. */
  unresolved: string[];
}

const KIND_OF_SHORTHAND: Record<string, DomainErrorKind> = {
  invalid: 'invalid', unauthenticated: 'unauthenticated', forbidden: 'forbidden', notFound: 'not-found', conflict: 'conflict',
  notReady: 'not-ready', unavailable: 'unavailable', internal: 'internal',
};
const CODE = /^[A-Z][A-Z0-9_]*$/;
const LITERAL_CODES = /'([A-Z][A-Z0-9_]*)'/g;

/** Sites that pass on a code made elsewhere (and scanned there): the edge mapping any DomainError, and the shorthands themselves. */
const FORWARDING_SITES = [
  { file: 'src/http/problem.ts', text: 'new ApiProblem(STATUS_OF_KIND[error.kind], error.code' },
];

export function scanThrownCodes(srcDir: string): ScanResult {
  const codes: ThrownCode[] = [];
  const unresolved: string[] = [];
  for (const file of sourceFiles(srcDir)) {
    const rel = path.relative(path.dirname(srcDir), file).split(path.sep).join('/');
    const text = withoutComments(fs.readFileSync(file, 'utf8'));
    const at = (index: number) => `${rel}:${text.slice(0, index).split('\n').length}`;
    const add = (code: string, status: number, index: number) => codes.push({ code, status, where: at(index) });
    const helpers = problemHelpers(text);
    const insideHelper = (index: number) => helpers.some((h) => index >= h.start && index < h.end);
    const forwarding = (index: number) => FORWARDING_SITES.some((s) => s.file === rel && text.startsWith(s.text, index));
    const definesShorthands = rel === 'src/errors/domain-error.ts';

    for (const m of text.matchAll(/DomainError\.(\w+)\(([^,)]*)/g)) {
      if (m[1] === 'authenticationRequired') {
        add('AUTHENTICATION_REQUIRED', statusOfKind('unauthenticated'), m.index!);
        continue;
      }
      const kind = KIND_OF_SHORTHAND[m[1]!];
      if (!kind) continue;
      const literals = [...m[2]!.matchAll(LITERAL_CODES)].map((l) => l[1]!);
      if (literals.length === 0) unresolved.push(`${at(m.index!)} ${m[0]}`);
      for (const code of literals) add(code, statusOfKind(kind), m.index!);
    }
    for (const m of text.matchAll(/new DomainError\(\s*([^,]+),\s*([^,]+),/g)) {
      const kind = /^'([a-z-]+)'$/.exec(m[1]!.trim())?.[1] as DomainErrorKind | undefined;
      const code = /^'([A-Z][A-Z0-9_]*)'$/.exec(m[2]!.trim())?.[1];
      if (kind && code) add(code, statusOfKind(kind), m.index!);
      else if (definesShorthands && m[2]!.trim() === 'code') continue;
      // A kind looked up in a table of this file by the code itself: the table is scanned below.
      else if (/^\w+\[(\w+\.)?code\]$/.test(m[1]!.trim()) && /^(\w+\.)?code$/.test(m[2]!.trim())) continue;
      else unresolved.push(`${at(m.index!)} ${m[0]}`);
    }
    for (const m of text.matchAll(/new ApiProblem\(\s*([^,]+),\s*([^,]+),/g)) {
      const status = /^\d{3}$/.test(m[1]!.trim()) ? Number(m[1]!.trim()) : undefined;
      const code = /^'([A-Z][A-Z0-9_]*)'$/.exec(m[2]!.trim())?.[1];
      if (status && code) add(code, status, m.index!);
      else if (forwarding(m.index!) || insideHelper(m.index!)) continue;
      else unresolved.push(`${at(m.index!)} ${m[0]}`);
    }
    for (const m of text.matchAll(/Record<[^>]*,\s*DomainErrorKind>\s*=\s*\{([^}]*)\}/g)) {
      for (const entry of m[1]!.matchAll(/([A-Z][A-Z0-9_]+):\s*'([a-z-]+)'/g)) add(entry[1]!, statusOfKind(entry[2] as DomainErrorKind), m.index!);
    }
    for (const helper of helpers) {
      for (const call of text.matchAll(new RegExp(`\\b${helper.name}\\(\\s*'([A-Z][A-Z0-9_]*)'`, 'g'))) add(call[1]!, helper.status, call.index!);
    }
  }
  return { codes: codes.filter((c) => CODE.test(c.code)), unresolved };
}

/** `function name(code: string, …): ApiProblem { return new ApiProblem(404, code, … }` — a local maker of one status. */
function problemHelpers(text: string): Array<{ name: string; status: number; start: number; end: number }> {
  const helpers = [];
  for (const m of text.matchAll(/function (\w+)\((\w+): string[^)]*\)[^{]*\{\s*return new ApiProblem\((\d{3}),\s*(\w+),[^}]*\}/g)) {
    if (m[2] === m[4]) helpers.push({ name: m[1]!, status: Number(m[3]), start: m.index!, end: m.index! + m[0].length });
  }
  return helpers;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.test-helpers.ts') ? [full] : [];
  });
}

/** Block comments and whole-line comments out (a code named in a comment is not thrown); line numbers kept. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/^\s*\/\/.*$/gm, '');
}
