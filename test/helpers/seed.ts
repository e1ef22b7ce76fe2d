/**
 * One fixed fast-check configuration for every property test, so a failure is
 * reproducible from the printed seed alone.
 *
 *   KVMCLOCK_SEED=<int32>   override the seed (default below)
 *   KVMCLOCK_RUNS=<n>       runs per property (default 300: the whole property suite
 *                           stays well under a minute on 2 cores)
 *
 * Importing this module configures fast-check globally (fc.configureGlobal) and prints
 * the seed once per test worker.
 */
import fc from 'fast-check';

/** The default seed: "kvmc" in ASCII. */
export const DEFAULT_SEED = 0x6b766d63;
export const DEFAULT_RUNS = 300;

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** The fast-check seed in use (an int32, as fast-check's `seed` parameter expects). */
export const SEED = envInt('KVMCLOCK_SEED', DEFAULT_SEED, -0x8000_0000, 0xffff_ffff) | 0;
/** Runs per property. */
export const NUM_RUNS = envInt('KVMCLOCK_RUNS', DEFAULT_RUNS, 1, 100_000_000);

fc.configureGlobal({ seed: SEED, numRuns: NUM_RUNS });

const PRINTED = Symbol.for('kvmclock.test.seed-printed');
const g = globalThis as { [PRINTED]?: true };
if (!g[PRINTED]) {
  g[PRINTED] = true;
  console.log(`[kvmclock] fast-check seed ${SEED} (KVMCLOCK_SEED), ${NUM_RUNS} runs per property (KVMCLOCK_RUNS)`);
}

/**
 * A deterministic sub-seed for a named sampling (fc.sample) so that independent
 * sweeps do not all draw the same sequence. FNV-1a of the name, mixed with SEED.
 */
export function subSeed(name: string): number {
  let h = 0x811c9dc5 ^ SEED;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}
