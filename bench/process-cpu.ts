/** CPU time of this process and of others on this machine (read from /proc, Linux), for the bench sections. */
import fs from 'node:fs';

/** CPU milliseconds this process (every thread) has used since `since` (a `process.cpuUsage()` reading). */
export function ownCpuMsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux, whatever the kernel's HZ). */
const TICKS_PER_SECOND = 100;

/**
 * CPU milliseconds a process has used so far, all its threads together (utime + stime of /proc/<pid>/stat,
 * which sums the thread group, threads that have ended included).
 */
export function processCpuMs(pid: number): number {
  return cpuMsOfStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** CPU milliseconds one thread of a process has used so far; a process's main thread has its pid as thread id. */
export function threadCpuMs(pid: number, tid: number = pid): number {
  return cpuMsOfStat(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
}

function cpuMsOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Every process on the machine: its name (the stat line's comm) and its CPU milliseconds so far, by pid. */
export function cpuMsOfEveryProcess(): Map<number, { comm: string; ms: number }> {
  const byPid = new Map<number, { comm: string; ms: number }>();
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      byPid.set(pid, { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: cpuMsOfStat(stat) });
    } catch {
      // the process ended meanwhile
    }
  }
  return byPid;
}

/**
 * CPU milliseconds so far of every process whose name (/proc/<pid>/comm) is one of `names`, by pid; with
 * `cmdlineIncludes`, only those whose command line contains it (one Ceph cluster's daemons by their
 * configuration file, the PostgreSQL backends serving one database by its name).
 */
export function cpuMsByName(names: readonly string[], cmdlineIncludes?: string): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number)) {
    try {
      if (!names.includes(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) continue;
      if (cmdlineIncludes !== undefined && !fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(cmdlineIncludes)) continue;
      byPid.set(pid, processCpuMs(pid));
    } catch {
      // the process ended meanwhile
    }
  }
  return byPid;
}

/**
 * CPU of those processes since `before`: one that started meanwhile counts in full; one that ended
 * meanwhile is lost (so this can only undercount), never subtracted.
 */
export function cpuMsByNameSince(names: readonly string[], before: Map<number, number>, cmdlineIncludes?: string): number {
  let total = 0;
  for (const [pid, ms] of cpuMsByName(names, cmdlineIncludes)) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** CPU milliseconds so far of each thread of a process, by thread id. */
export function threadsCpuMs(pid: number): Map<number, number> {
  const byTid = new Map<number, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`).map(Number)) {
    try {
      byTid.set(tid, threadCpuMs(pid, tid));
    } catch {
      // the thread ended meanwhile
    }
  }
  return byTid;
}
