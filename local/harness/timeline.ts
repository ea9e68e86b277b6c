/**
 * The timeline as a person reads it: one line per state (modelled time since the trigger, the
 * modelled and real time it took, what it decided) and the AWS calls it made. Repeated stability
 * checks with the same answer fold into one line.
 */
import type { Phase, PhaseCall } from './run';

/** States not worth a line: routing only. */
const HIDDEN_TYPES: ReadonlySet<string> = new Set(['Choice']);
const HIDDEN_STATES: ReadonlySet<string> = new Set(['LoadSettings']);
const STATE_WIDTH = 23;

/** "+1:05.2" */
export function formatOffset(ms: number): string {
  const tenths = Math.round(Math.max(0, ms) / 100);
  const minutes = Math.floor(tenths / 600);
  const seconds = ((tenths % 600) / 10).toFixed(1).padStart(4, '0');
  return `+${minutes}:${seconds}`;
}

/** "0.2 s", "15 s", "2 min 05 s" */
export function formatModelled(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** "54 ms", "1.2 s" */
export function formatReal(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Calls grouped by operation, in first-call order: "ECS DescribeServices ×2, ECS UpdateService [ServerException ×3]". */
export function formatCalls(calls: readonly PhaseCall[]): string {
  const groups = new Map<string, { count: number; errors: Map<string, number> }>();
  for (const call of calls) {
    const key = `${call.service} ${call.operation}`;
    const group = groups.get(key) ?? { count: 0, errors: new Map<string, number>() };
    group.count += 1;
    if (call.errorCode !== undefined) group.errors.set(call.errorCode, (group.errors.get(call.errorCode) ?? 0) + 1);
    groups.set(key, group);
  }
  return [...groups]
    .map(([key, { count, errors }]) => {
      const failed = [...errors].map(([code, n]) => `${code}${n > 1 ? ` ×${n}` : ''}`).join(', ');
      return `${key}${count > 1 ? ` ×${count}` : ''}${failed === '' ? '' : ` [${failed}]`}`;
    })
    .join(', ');
}

/** Calls counted by "Service Operation". */
export function countCalls(calls: readonly PhaseCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) {
    const key = `${call.service} ${call.operation}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** The header above the timeline's lines. */
export function timelineHeader(): string {
  return `  ${'at'.padEnd(8)} ${'took'.padStart(10)} ${'real'.padStart(7)}  ${'state'.padEnd(STATE_WIDTH)} what happened`;
}

function line(at: number, modelMs: number, realMs: number, state: string, note: string): string {
  return `  ${formatOffset(at).padEnd(8)} ${formatModelled(modelMs).padStart(10)} ${formatReal(realMs).padStart(7)}  ${state.padEnd(STATE_WIDTH)} ${note}`.trimEnd();
}

function callsLine(calls: readonly PhaseCall[]): string | undefined {
  const text = formatCalls(calls);
  return text === '' ? undefined : `  ${' '.repeat(8 + 1 + 10 + 1 + 7 + 2)}${'↳ '}${text}`;
}

interface Fold {
  readonly first: Phase;
  count: number;
  modelMs: number;
  realMs: number;
  calls: PhaseCall[];
  waits: number[];
}

/** Prints phases as they come (write is called with whole lines). */
export class TimelinePrinter {
  private waits: Phase[] = [];
  private lastCheck: string | undefined;
  private fold: Fold | undefined;

  public constructor(private readonly write: (line: string) => void) {}

  /** Takes the next phase of the run. */
  public add(phase: Phase): void {
    if (HIDDEN_TYPES.has(phase.type) || HIDDEN_STATES.has(phase.state)) return;
    if (phase.type === 'Wait') {
      this.waits.push(phase);
      return;
    }
    const note = this.noteOf(phase);
    if (phase.state === 'CheckStability' && note === this.lastCheck) {
      const fold = this.fold ?? { first: this.waits[0] ?? phase, count: 0, modelMs: 0, realMs: 0, calls: [], waits: [] };
      for (const wait of this.waits) {
        fold.modelMs += wait.modelMs;
        fold.realMs += wait.realMs;
        fold.waits.push(wait.modelMs);
      }
      fold.count += 1;
      fold.modelMs += phase.modelMs;
      fold.realMs += phase.realMs;
      fold.calls.push(...phase.calls);
      this.fold = fold;
      this.waits = [];
      return;
    }
    this.flushFold();
    this.flushWaits();
    this.print(phase, note);
    this.lastCheck = phase.state === 'CheckStability' ? note : undefined;
  }

  /** Prints whatever is still held back. */
  public end(): void {
    this.flushFold();
    this.flushWaits();
  }

  private noteOf(phase: Phase): string {
    const retried = phase.attempts > 1 ? ` (${phase.attempts} attempts)` : '';
    if (phase.error !== undefined && phase.note === undefined) return `FAILED ${phase.error}${retried}`;
    return `${phase.note ?? ''}${retried}`;
  }

  private print(phase: Phase, note: string): void {
    this.write(line(phase.atModelMs, phase.modelMs, phase.realMs, phase.state, note));
    const calls = callsLine(phase.calls);
    if (calls !== undefined) this.write(calls);
  }

  private flushWaits(): void {
    for (const wait of this.waits) this.write(line(wait.atModelMs, wait.modelMs, wait.realMs, wait.state, ''));
    this.waits = [];
  }

  private flushFold(): void {
    const fold = this.fold;
    if (fold === undefined) return;
    this.fold = undefined;
    const waits = [...new Set(fold.waits.map((ms) => formatModelled(ms)))].join(' / ');
    const looks = `${fold.count} more look${fold.count > 1 ? 's' : ''}, same answer${waits === '' ? '' : ` (waits of ${waits})`}`;
    this.write(line(fold.first.atModelMs, fold.modelMs, fold.realMs, 'CheckStability ⟳', looks));
    const calls = callsLine(fold.calls);
    if (calls !== undefined) this.write(calls);
  }
}
