/** JSON for machines: every bigint becomes a decimal string (exact beyond 2^53). */
export const bigintReplacer = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

/** Serialise with bigints as decimal strings. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, bigintReplacer, indent);
}
