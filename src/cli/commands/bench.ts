/**
 * `kvmclock bench`: the billions-of-conversions mode. A synthetic TSC ramp is generated,
 * converted and summed inside Wasm, chunk by chunk, on worker threads (each with its own
 * Wasm instance; memory stays constant), and the run reports conversions/s and a checksum
 * (the wrapping sum of every output) cross-checked against the BigInt reference: sampled
 * conversions, and the checksum of a prefix recomputed in full. The suites of
 * `npm run bench` (implementations side by side) live in bench/, outside the package.
 */
import { availableParallelism } from 'node:os';

import type { ParallelConversionsResult } from '../../parallel/conversions.js';
import { referenceBackend } from '../../reference/index.js';
import { DEFAULT_RAMP, referenceChecksum, runConversions, verifySamples, type EngineChoice } from '../../stream/index.js';
import { PRESET_SPECS, type PresetOp } from '../../stream/presets.js';
import { UsageError, type CliCommand } from '../command.js';
import { announceOrRefuse } from '../estimate.js';
import { toJson } from '../json.js';
import { integerInRange, parseOptions } from '../options.js';
import { writeStdout } from '../stream-writer.js';
import { groupDigits } from '../table.js';

const OPS = Object.keys(PRESET_SPECS) as PresetOp[];

const HELP = `usage: kvmclock bench [--conversions N] [--workers N] [--op ${OPS.join('|')}]
                      [--engine auto|scalar] [--scaling] [--json] [--force]

Runs N conversions (default 1e9; 1e10 and more work, in constant memory) of a synthetic
TSC ramp (a 2.5 GHz TSC read every microsecond) on worker threads and reports
conversions/s, the checksum (wrapping sum of every output) and its cross-check against the
BigInt reference: every sampled conversion, and the full checksum of the first 65,536.
The parameters are the README's 1.0 GHz VMX guest on a 2.5 GHz host.

  --conversions N  number of conversions, e.g. 1e10 (default 1e9)
  --workers N      worker threads (default: available parallelism, here ${availableParallelism()})
  --op OP          pvclock_read (default), scale_delta, scale_tsc, or guest_read_b
                   (definition B: host TSC → guest TSC → kvmclock)
  --engine E       auto (Wasm SIMD when available, default) or scalar
  --scaling        run with 1 worker first and report the speed-up of N workers
  --json           one JSON document instead of text
  --force          run even when the estimate is over an hour (the count and the
                   estimate are printed first either way)

The suites that compare implementations (BigInt, Wasm, Wasm SIMD, native C) are
\`npm run bench\` in a clone of the repository.`;

const PREFIX = 65_536;

/** Conversions timed on this thread for the estimate of a large run (about a millisecond). */
const CALIBRATION = 1 << 20;

/** Below this many conversions a run takes seconds at most and is not timed for an estimate. */
const ESTIMATE_ABOVE = 1e10;

/** Conversions per second of one thread, timed on a short run after a warm-up. */
function threadRate(spec: (typeof PRESET_SPECS)[PresetOp], engine: EngineChoice): number {
  runConversions({ spec, count: CALIBRATION, engine });
  const t0 = performance.now();
  runConversions({ spec, count: CALIBRATION, engine });
  return CALIBRATION / Math.max(1e-6, (performance.now() - t0) / 1000);
}

function positiveInteger(value: string | undefined, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER, example = ''): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} expected an integer in 1..${max}${example}, got ${JSON.stringify(value)}`);
  return n;
}

interface RunReport {
  readonly workers: number;
  /** The conversions themselves, on warmed-up workers. */
  readonly seconds: number;
  /** Starting the workers (and a warm-up job on each) before that. */
  readonly startupSeconds: number;
  readonly convPerSec: number;
  readonly checksum: string;
  readonly samples: number;
  readonly samplesAgree: boolean;
  readonly rssGrowthMiB: number;
}

function report(r: ParallelConversionsResult, bad: readonly string[]): RunReport {
  return {
    workers: r.workers,
    seconds: r.wallNs / 1e9,
    startupSeconds: r.startupNs / 1e9,
    convPerSec: r.count / (r.wallNs / 1e9),
    checksum: `0x${r.checksum.toString(16).padStart(16, '0')}`,
    samples: r.samples.length,
    samplesAgree: bad.length === 0,
    rssGrowthMiB: r.rssGrowth / 2 ** 20,
  };
}

/** `kvmclock bench` (registered in main.ts). */
export const benchCommand: CliCommand = {
  name: 'bench',
  async run(argv) {
    const { values } = parseOptions(argv, {
      conversions: { type: 'string' },
      workers: { type: 'string' },
      op: { type: 'string' },
      engine: { type: 'string' },
      scaling: { type: 'boolean' },
      json: { type: 'boolean' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const count = positiveInteger(values.conversions, 'conversions', 1e9, Number.MAX_SAFE_INTEGER, ' (e.g. 1e10)');
    const workers = integerInRange(values.workers, '--workers', availableParallelism(), 1, 256);
    const op = (values.op ?? 'pvclock_read') as PresetOp;
    if (!OPS.includes(op)) throw new UsageError(`--op expected one of ${OPS.join(', ')}, got ${JSON.stringify(values.op)}`);
    const engine = (values.engine ?? 'auto') as EngineChoice;
    if (engine !== 'auto' && engine !== 'scalar') throw new UsageError(`--engine expected "auto" or "scalar", got ${JSON.stringify(values.engine)}`);
    const spec = PRESET_SPECS[op];
    if (count > ESTIMATE_ABOVE) {
      const rate = threadRate(spec, engine);
      const runs = values.scaling && workers > 1 ? [1, workers] : [workers];
      const seconds = runs.reduce((sum, w) => sum + count / (rate * Math.min(w, availableParallelism())), 0);
      announceOrRefuse({
        command: 'bench',
        size: `${groupDigits(count)} conversions${runs.length > 1 ? ' twice (--scaling)' : ''}`,
        seconds,
        basis: `at ${groupDigits(Math.round(rate / 1e6))} M/s per thread on ${Math.min(workers, availableParallelism())} thread(s)`,
        smaller: 'ask for fewer --conversions',
        force: values.force === true,
      });
    }
    // Worker threads (and the pool library) only load when this command runs.
    const { parallelConversions } = await import('../../parallel/conversions.js');

    // The whole pipeline (ramp, kernel, sum) on a prefix, against the reference in full.
    const prefix = Math.min(PREFIX, count);
    const prefixAgrees = runConversions({ spec, count: prefix, engine }).checksum === referenceChecksum(referenceBackend, spec, DEFAULT_RAMP, 0, prefix);

    const runs: RunReport[] = [];
    const checksums = new Set<string>();
    let engineName = '';
    for (const w of values.scaling && workers > 1 ? [1, workers] : [workers]) {
      if (!values.json) process.stderr.write(`running ${groupDigits(count)} ${op} conversions on ${w} worker${w > 1 ? 's' : ''}…\n`);
      const r = await parallelConversions({ spec, count, workers: w, engine });
      engineName = r.engine;
      const rep = report(r, verifySamples(referenceBackend, spec, DEFAULT_RAMP, r.samples));
      runs.push(rep);
      checksums.add(rep.checksum);
    }
    const ok = prefixAgrees && runs.every((r) => r.samplesAgree) && checksums.size === 1;
    const main = runs[runs.length - 1];
    const speedup = runs.length === 2 ? runs[1].convPerSec / runs[0].convPerSec : undefined;

    if (values.json) {
      await writeStdout(`${toJson({ op, conversions: count, engine: engineName, prefix: { conversions: prefix, agrees: prefixAgrees }, runs, speedup: speedup ?? null, ok })}\n`);
    } else {
      const lines = [
        `kvmclock bench: ${groupDigits(count)} ${op} conversions on ${main.workers} worker thread${main.workers > 1 ? 's' : ''} (${engineName})`,
        `  time            ${main.seconds.toFixed(2)} s (plus ${main.startupSeconds.toFixed(2)} s starting the workers)`,
        `  conversions/s   ${groupDigits(Math.round(main.convPerSec))}`,
        `  checksum        ${main.checksum} (wrapping sum of every output)`,
        `  cross-check     ${main.samples} sampled conversions ${main.samplesAgree ? '= reference' : 'DIFFER from the reference'}; checksum of the first ${groupDigits(prefix)} ${prefixAgrees ? '= reference' : 'DIFFERS from the reference'}`,
        `  RSS growth      ${main.rssGrowthMiB.toFixed(1)} MiB (peak during the run)`,
      ];
      if (speedup !== undefined) {
        lines.push(`  1 worker        ${groupDigits(Math.round(runs[0].convPerSec))} conversions/s in ${runs[0].seconds.toFixed(2)} s; ${main.workers} workers: ${speedup.toFixed(2)}× (same checksum: ${checksums.size === 1 ? 'yes' : 'NO'})`);
      }
      if (!ok) lines.push('  FAILED: the Wasm results disagree with the reference (a kvmclock bug)');
      await writeStdout(`${lines.join('\n')}\n`);
    }
    return ok ? 0 : 70;
  },
};
