/**
 * How an error message quotes a value it was given: in full when short, else its first characters
 * and its length. An error ends up in notifications, logs and the Step Functions state (256 KB at
 * most), so a 200 kB service name must not be copied into it whole.
 */

/** Longest quoted value, in characters, before it is cut. */
export const EXCERPT_MAX_CHARACTERS = 64;

/**
 * `value` as an error message shows it: strings as they are, anything else as JSON; longer than
 * `max` characters: the first `max` and `… (N characters)`.
 */
export function excerpt(value: unknown, max: number = EXCERPT_MAX_CHARACTERS): string {
  const text = typeof value === 'string' ? value : (safeJson(value) ?? String(value));
  if (text.length <= max) return text;
  const cut = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, cut)}… (${text.length} characters)`;
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
