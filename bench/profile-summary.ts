/** Summarises a V8 .cpuprofile: self time by function and by package (npm run bench with BENCH_CPU_PROF). */
import fs from 'node:fs';

const file = process.argv[2]!;
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const pkg = url.includes('node_modules/') ? url.split('node_modules/').pop()!.split('/').slice(0, url.includes('node_modules/@') ? 2 : 1).join('/') : url.includes('/src/') ? `src/${url.split('/src/')[1]!.split('/')[0]}` : url.startsWith('node:') ? 'node core' : url || '(native/gc/idle)';
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => ({ what: k, percent: +((100 * v) / total).toFixed(1) }));
console.log('by package:');
console.table(top(byPackage, 15));
console.log('by function:');
console.table(top(byFunction, 15));
