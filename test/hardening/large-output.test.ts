/**
 * Finding 4 of the hardening audit: large outputs. `sweep --top N` sorted its whole list on
 * every insert, and the table renderer spread every row into Math.max, which overflows the
 * stack past ~125k rows (a 150k-event timeline crashed with exit 70). The top-N is now a
 * heap (checked here against a full sort) and the one renderer every command uses is linear
 * and streams. The 10^6-row time and memory figures are `npm run bench:output`, not a
 * timed test.
 */
import { describe, expect, it } from 'vitest';
import { renderTable, tableLines } from '../../src/cli/table.js';
import { TopN } from '../../src/sweep/format.js';


/** A deterministic pseudo-random sequence (xorshift32). */
function* numbers(seed: number, count: number): Generator<number> {
  let x = seed;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    yield (x >>> 0) % 1000; // many equal keys: ties must follow the index
  }
}

describe('TopN', () => {
  it.each([0, 1, 7, 100, 5000])('keeps the %i worst of 20,000 exactly as a full sort would (ties: earlier index first)', (n) => {
    const keys = [...numbers(12345, 20_000)];
    const top = new TopN<number>(n);
    keys.forEach((k, i) => top.offer(BigInt(k), i, () => i));
    const expected = keys
      .map((k, i) => ({ k, i }))
      .sort((a, b) => b.k - a.k || a.i - b.i)
      .slice(0, n)
      .map((e) => e.i);
    expect(top.sorted()).toEqual(expected);
    expect(top.size).toBe(Math.min(n, keys.length));
  });

  it('builds the kept value only for entries that make the cut', () => {
    const top = new TopN<number>(3);
    let built = 0;
    for (let i = 0; i < 1000; i++) top.offer(BigInt(1000 - i), i, () => ++built); // decreasing: only the first 3 get in
    expect(built).toBe(3);
  });
});

describe('table renderer', () => {
  it('renders 130,000 rows (past the ~125k rows where spreading them into Math.max overflowed the stack)', () => {
    const rows = Array.from({ length: 130_000 }, (_, i) => [i, i % 2 === 0 ? 'even' : 'odd']);
    const text = renderTable(['#', 'parity'], rows);
    const lines = text.split('\n');
    expect(lines).toHaveLength(130_002);
    expect(lines[0]).toBe('      #  parity');
    expect(lines[130_001]).toBe('129,999  odd');
  });

  it('streams line by line (a million-row table never exists as one string)', () => {
    const lines = tableLines(['n'], { *[Symbol.iterator]() { for (let i = 0; i < 5; i++) yield [i]; } });
    expect([...lines]).toEqual(['n', '-', '0', '1', '2', '3', '4']);
  });

  it('keeps the small-table output unchanged', () => {
    expect(renderTable(['a', 'bb'], [[1, 'x'], [1234, 'yz']])).toBe('    a  bb\n-----  --\n    1  x\n1,234  yz');
  });
});
