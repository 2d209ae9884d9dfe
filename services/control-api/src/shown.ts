/** Longest request value an error message repeats whole. */
const MAX_SHOWN = 80;

/**
 * A value from a request as an error message shows it: whole when short, else its start and
 * its length, so a refusal of a huge value stays a readable message (and a small gRPC trailer).
 */
export function shown(value: string): string {
  if (value.length <= MAX_SHOWN) return value;
  let end = MAX_SHOWN - 20;
  // Never cut a surrogate pair in two: a lone surrogate cannot be sent as a gRPC status message.
  if (/[\uD800-\uDBFF]/.test(value.charAt(end - 1))) end--;
  return `${value.slice(0, end)}... (${value.length} characters)`;
}
