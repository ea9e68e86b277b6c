/** Pure helpers of the benchmark: statistics, the Step Functions cost, rates and formatting. */

/** Step Functions Standard Workflows: USD per state transition (US East (N. Virginia) list price, $0.025 per 1,000). */
export const USD_PER_STATE_TRANSITION = 0.025 / 1000;
/** When that price was last confirmed (AWS material dated January 2026; not re-read from the live pricing page by the bench). */
export const STATE_TRANSITION_PRICE_DATE = 'January 2026';

/** The median of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** USD that `transitions` state transitions cost on Step Functions Standard. */
export function transitionCostUsd(transitions: number): number {
  return transitions * USD_PER_STATE_TRANSITION;
}

/** The most events that fall in any one window of `windowMs` starting at an event (a sliding window). */
export function peakPerWindow(times: readonly number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while (sorted[end]! - sorted[start]! >= windowMs) start += 1;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/** Counts of each key, sorted by count (highest first), then key. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** The keys that occur other than exactly once in `items`, with their counts (missing keys count 0). */
export function notExactlyOnce(expected: readonly string[], items: readonly string[]): [string, number][] {
  const counts = new Map<string, number>(expected.map((k) => [k, 0]));
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].filter(([, n]) => n !== 1);
}

/** "123.4 s" for modelled or real milliseconds. */
export function seconds(ms: number, digits = 1): string {
  return `${(ms / 1000).toFixed(digits)} s`;
}

/** "12.3 ms" */
export function millis(ms: number, digits = 1): string {
  return `${ms.toFixed(digits)} ms`;
}

/** "218.6 KiB" */
export function kib(bytes: number, digits = 1): string {
  return `${(bytes / 1024).toFixed(digits)} KiB`;
}

/** "3.41×" */
export function times(ratio: number, digits = 2): string {
  return `${ratio.toFixed(digits)}×`;
}

/** "met" / "MISSED" against a target. */
export function verdict(met: boolean): string {
  return met ? 'met' : 'MISSED';
}

/** A Markdown table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A plain-text table with aligned columns (for the terminal). */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
