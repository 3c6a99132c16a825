/**
 * The environment of a process a test starts (the service, the CLI): only what any process needs to run,
 * plus what the test names. Never the developer's shell: a FABRIC_*, DATABASE_URL or S3_* exported there
 * would otherwise point the test's service at a real ledger, database or bucket.
 */
const PASSED_THROUGH = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ', 'SYSTEMROOT'] as const;

export function childEnvironment(explicit: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(explicit)) if (value !== undefined) env[name] = value;
  return env;
}
