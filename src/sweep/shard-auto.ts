/**
 * `--shard auto`: the slice of a sweep a cluster engine asks this process to compute, read
 * from the environment the engine sets up for each task.
 *
 * - Slurm job arrays (`sbatch --array=…`): SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_MIN and
 *   SLURM_ARRAY_TASK_MAX (and SLURM_ARRAY_TASK_STEP for `--array=0-30:2`), or
 *   SLURM_ARRAY_TASK_COUNT. The tasks of the array are the shards, in task-id order.
 * - Kubernetes Indexed Jobs (`completionMode: Indexed`): JOB_COMPLETION_INDEX (0-based);
 *   the number of completions is not in the pod's environment, so it is given with
 *   `--shards N`.
 *
 * Anything missing or inconsistent is refused before any work, naming the variables.
 */
import { ArgumentRangeError, EnvironmentError } from '../errors.js';
import type { Shard } from './grid.js';

/** The most shards a run may have (as `--shard i/n`). */
export const MAX_SHARDS = 1_000_000;

/** Where an automatic shard came from (for messages and the shard record). */
export interface AutoShard extends Shard {
  readonly engine: 'slurm' | 'kubernetes';
  /** The variables it was read from, as found. */
  readonly from: Readonly<Record<string, string>>;
}

type Env = Readonly<Record<string, string | undefined>>;

const SLURM_VARS = ['SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_MIN', 'SLURM_ARRAY_TASK_MAX', 'SLURM_ARRAY_TASK_STEP', 'SLURM_ARRAY_TASK_COUNT', 'SLURM_ARRAY_JOB_ID'] as const;

function integer(env: Env, name: string, engine: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const t = raw.trim();
  if (!/^[0-9]+$/.test(t) || !Number.isSafeInteger(Number(t))) {
    throw new EnvironmentError('scheduler', `--shard auto: ${name}=${JSON.stringify(raw)} is not a non-negative integer; ${engine} sets it to one for each task, so the environment was changed by hand or by another tool`);
  }
  return Number(t);
}

function found(env: Env, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) if (env[n] !== undefined) out[n] = env[n] as string;
  return out;
}

const describeVars = (vars: Readonly<Record<string, string>>): string =>
  Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** The shard of a Slurm array task. */
function slurmShard(env: Env, shards: number | undefined): AutoShard {
  const vars = found(env, SLURM_VARS);
  const id = integer(env, 'SLURM_ARRAY_TASK_ID', 'Slurm') as number;
  const min = integer(env, 'SLURM_ARRAY_TASK_MIN', 'Slurm');
  const max = integer(env, 'SLURM_ARRAY_TASK_MAX', 'Slurm');
  const step = integer(env, 'SLURM_ARRAY_TASK_STEP', 'Slurm') ?? 1;
  const count = integer(env, 'SLURM_ARRAY_TASK_COUNT', 'Slurm');
  const refuse = (why: string) =>
    new EnvironmentError('scheduler', `--shard auto: the Slurm job array's variables are inconsistent (${describeVars(vars)}): ${why}. Submit the sweep as one array of consecutive task ids, e.g. sbatch --array=0-7, or give the shard explicitly with --shard i/n`);
  if (step < 1) throw refuse('SLURM_ARRAY_TASK_STEP must be at least 1');
  let index: number;
  let n: number;
  if (min !== undefined && max !== undefined) {
    if (max < min) throw refuse('SLURM_ARRAY_TASK_MAX is below SLURM_ARRAY_TASK_MIN');
    if (id < min || id > max) throw refuse(`task id ${id} is outside ${min}..${max}`);
    if ((id - min) % step !== 0) throw refuse(`task id ${id} is not min + k·step`);
    index = (id - min) / step + 1;
    n = Math.floor((max - min) / step) + 1;
    // An array such as --array=1,5,7 has min 1, max 7 and 3 tasks: its ids are not a progression.
    if (count !== undefined && count !== n) throw refuse(`SLURM_ARRAY_TASK_COUNT is ${count}, but ids ${min}..${max} in steps of ${step} make ${n} tasks (an array of ids that are not evenly spaced cannot be mapped to shards)`);
  } else if (count !== undefined) {
    // Without min/max the ids are taken as 0..count-1 (Slurm sets min and max for every array task; this is a fallback).
    if (id >= count) throw refuse(`task id ${id} is not below SLURM_ARRAY_TASK_COUNT ${count}, and SLURM_ARRAY_TASK_MIN/MAX are not set`);
    index = id + 1;
    n = count;
  } else {
    throw refuse('SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_MIN with SLURM_ARRAY_TASK_MAX nor SLURM_ARRAY_TASK_COUNT is, so the number of shards is unknown');
  }
  if (n > MAX_SHARDS) throw refuse(`${n} tasks is more than the ${MAX_SHARDS} shards a sweep may have`);
  if (shards !== undefined && shards !== n) {
    throw new ArgumentRangeError('--shards', 'shard count', BigInt(n), BigInt(n), shards, `the Slurm job array has ${n} tasks (${describeVars(vars)}); --shards must match it or be left out`);
  }
  return { index, count: n, engine: 'slurm', from: vars };
}

/** The shard of a Kubernetes Indexed Job pod. */
function kubernetesShard(env: Env, shards: number | undefined): AutoShard {
  const vars = found(env, ['JOB_COMPLETION_INDEX']);
  const index0 = integer(env, 'JOB_COMPLETION_INDEX', 'Kubernetes') as number;
  if (shards === undefined) {
    throw new ArgumentRangeError(
      '--shards',
      'shard count',
      1n,
      BigInt(MAX_SHARDS),
      'nothing',
      `--shard auto found a Kubernetes Indexed Job (JOB_COMPLETION_INDEX=${index0}), whose pods are not told how many completions there are: give the Job's spec.completions as --shards N`,
    );
  }
  if (index0 >= shards) {
    throw new ArgumentRangeError('--shards', 'shard count', BigInt(index0 + 1), BigInt(MAX_SHARDS), shards, `JOB_COMPLETION_INDEX is ${index0} (0-based), so the Job has more than ${shards} completions; --shards must be its spec.completions`);
  }
  return { index: index0 + 1, count: shards, engine: 'kubernetes', from: vars };
}

/** Check `--shards N` (1..MAX_SHARDS); undefined when not given. */
export function parseShardsOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  const n = /^[0-9]+$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_SHARDS) throw new ArgumentRangeError('--shards', 'shard count', 1n, BigInt(MAX_SHARDS), text, 'the number of shards (Kubernetes: the Indexed Job’s spec.completions)');
  return n;
}

/**
 * The shard `--shard auto` means in this environment (default: this process's).
 * @throws EnvironmentError (reason `scheduler`) when no engine's variables are found, or
 *   they are inconsistent; ArgumentRangeError naming `--shards` when it is missing for a
 *   Kubernetes index or contradicts a Slurm array.
 */
export function autoShard(shards: number | undefined, env: Env = process.env): AutoShard {
  const slurm = env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_ID !== '';
  const kubernetes = env.JOB_COMPLETION_INDEX !== undefined && env.JOB_COMPLETION_INDEX !== '';
  if (slurm && kubernetes) {
    throw new EnvironmentError(
      'scheduler',
      `--shard auto: both a Slurm array task (SLURM_ARRAY_TASK_ID=${env.SLURM_ARRAY_TASK_ID}) and a Kubernetes Indexed Job (JOB_COMPLETION_INDEX=${env.JOB_COMPLETION_INDEX}) are in the environment; unset the one that does not apply, or give the shard with --shard i/n`,
    );
  }
  if (slurm) return slurmShard(env, shards);
  if (kubernetes) return kubernetesShard(env, shards);
  const hint = env.SLURM_JOB_ID !== undefined ? ` (this is a Slurm job, ${env.SLURM_JOB_ID}, but not an array task: submit it with sbatch --array=0-N)` : '';
  throw new EnvironmentError(
    'scheduler',
    `--shard auto found no cluster engine in the environment${hint}: it reads a Slurm job array task (SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_MIN/MAX or SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with --shards N). Elsewhere give the slice explicitly: --shard i/n with 1 ≤ i ≤ n`,
  );
}
