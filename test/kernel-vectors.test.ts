/**
 * Every kernel-validated vector through both backends, via the eval command table
 * (which calls the validated public API), compared line for line. A vector whose
 * function has no command fails the run instead of being skipped.
 */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../src/index.js';
import { COMMANDS_BY_NAME } from '../src/protocol/commands.js';
import { evalLine } from '../src/protocol/eval-line.js';
import { BACKEND_NAMES } from './helpers/backend-names.js';
import { loadVectors } from './helpers/vectors.js';

const vectors = loadVectors();
const byFn = new Map<string, typeof vectors>();
for (const v of vectors) byFn.set(v.fn, [...(byFn.get(v.fn) ?? []), v]);

describe('kernel vectors', () => {
  it('are all present (≈35k lines) and every function is mapped to a command', () => {
    expect(vectors.length).toBeGreaterThan(35_000);
    const unmapped = [...new Set(vectors.map((v) => v.fn))].filter((fn) => !COMMANDS_BY_NAME.has(fn));
    expect(unmapped).toEqual([]);
  });

  it('every vector command argument list matches the command table', () => {
    for (const v of vectors) expect(v.args.length, `${v.file}:${v.line}`).toBe(COMMANDS_BY_NAME.get(v.fn)?.args.length);
  });

  for (const backend of BACKEND_NAMES) {
    describe(backend, () => {
      const api = kvmclock(backend);
      for (const [fn, list] of byFn) {
        it(`${fn}: ${list.length} vectors`, () => {
          const mismatches = list.filter((v) => evalLine(api, v.input) !== v.expected).map((v) => `${v.file}:${v.line} ${v.input} → ${evalLine(api, v.input)} (want ${v.expected})`);
          expect(mismatches.slice(0, 5)).toEqual([]);
        });
      }
    });
  }
});
