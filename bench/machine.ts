/** Where and when the bench ran: machine, Node version, date and git commit. */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { PROJECT_ROOT } from '../local/harness/bundles';

/** The run's context, printed at the top of BENCHMARKS.md. */
export interface RunContext {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  /** ISO date and time (real clock, UTC). */
  readonly date: string;
  readonly commit: string;
  /** Files with uncommitted changes in the working tree when the bench ran. */
  readonly uncommitted: number;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Reads the machine and the repository state. */
export function runContext(realNow: number): RunContext {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date(realNow).toISOString(),
    commit: git(['rev-parse', '--short=12', 'HEAD']) || 'unknown',
    uncommitted: git(['status', '--porcelain']).split('\n').filter((line) => line.trim() !== '').length,
  };
}
