/** Runs the `licence-vault` command line as its own process, as a user would. */
import { execFile } from 'node:child_process';
import { childEnvironment } from './child-environment.ts';

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Asynchronous on purpose: a test's vault may answer the command from this same process, so a blocking
 * spawn would deadlock.
 */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 90_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: timeoutMs, env: childEnvironment(env) }, (error, stdout, stderr) => {
      resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
