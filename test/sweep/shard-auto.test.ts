/**
 * `--shard auto`: the slice read from a Slurm array task's or a Kubernetes Indexed Job's
 * environment, the same numbering as `--shard i/n`, and clear refusals when the
 * environment has no engine, an inconsistent array, or no `--shards` for a Kubernetes index.
 */
import { describe, expect, it } from 'vitest';
import { EnvironmentError, isKvmclockError } from '../../src/errors.js';
import { autoShard, parseShardsOption } from '../../src/sweep/shard-auto.js';

const slurm = (id: number, min: number, max: number, extra: Record<string, string> = {}) => ({
  SLURM_ARRAY_JOB_ID: '17',
  SLURM_ARRAY_TASK_ID: String(id),
  SLURM_ARRAY_TASK_MIN: String(min),
  SLURM_ARRAY_TASK_MAX: String(max),
  SLURM_ARRAY_TASK_COUNT: String(max - min + 1),
  SLURM_ARRAY_TASK_STEP: '1',
  ...extra,
});

function refusal(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    expect(isKvmclockError(e)).toBe(true);
    return e as Error;
  }
  throw new Error('expected a refusal');
}

describe('--shard auto', () => {
  it('a Slurm array --array=0-7: task k is shard k+1 of 8', () => {
    for (let k = 0; k < 8; k++) expect(autoShard(undefined, slurm(k, 0, 7))).toMatchObject({ index: k + 1, count: 8, engine: 'slurm' });
  });

  it('a Slurm array that starts at 1 (--array=1-4), and one with a step (--array=0-6:2)', () => {
    expect(autoShard(undefined, slurm(1, 1, 4))).toMatchObject({ index: 1, count: 4 });
    expect(autoShard(undefined, slurm(4, 1, 4))).toMatchObject({ index: 4, count: 4 });
    const step = { SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '4' };
    expect([0, 2, 4, 6].map((id) => autoShard(undefined, slurm(id, 0, 6, step)).index)).toEqual([1, 2, 3, 4]);
    expect(autoShard(undefined, slurm(6, 0, 6, step)).count).toBe(4);
  });

  it('only SLURM_ARRAY_TASK_COUNT (no min/max): ids 0..count-1', () => {
    expect(autoShard(undefined, { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '5' })).toMatchObject({ index: 3, count: 5 });
  });

  it('--shards must agree with a Slurm array when given', () => {
    expect(autoShard(8, slurm(3, 0, 7)).count).toBe(8);
    const e = refusal(() => autoShard(6, slurm(3, 0, 7)));
    expect(e.message).toMatch(/--shards/);
    expect(e.message).toMatch(/8 tasks/);
  });

  it('refuses an array whose ids are not evenly spaced (--array=1,3,7: min 1, max 7, count 3), naming the variables', () => {
    const e = refusal(() => autoShard(undefined, slurm(3, 1, 7, { SLURM_ARRAY_TASK_COUNT: '3' })));
    expect(e).toBeInstanceOf(EnvironmentError);
    expect(e.message).toMatch(/SLURM_ARRAY_TASK_COUNT is 3/);
    expect(e.message).toMatch(/SLURM_ARRAY_TASK_MIN=1/);
    expect(e.message).toMatch(/--shard i\/n/);
  });

  it('refuses ids outside min..max, a max below min, junk values, and an id without a count', () => {
    expect(refusal(() => autoShard(undefined, slurm(9, 0, 7))).message).toMatch(/outside 0\.\.7/);
    expect(refusal(() => autoShard(undefined, slurm(3, 5, 2, { SLURM_ARRAY_TASK_COUNT: '1' }))).message).toMatch(/below/);
    expect(refusal(() => autoShard(undefined, slurm(3, 0, 7, { SLURM_ARRAY_TASK_MAX: 'x7' }))).message).toMatch(/SLURM_ARRAY_TASK_MAX="x7" is not a non-negative integer/);
    expect(refusal(() => autoShard(undefined, { SLURM_ARRAY_TASK_ID: '1' })).message).toMatch(/number of shards is unknown/);
  });

  it('a Kubernetes Indexed Job: JOB_COMPLETION_INDEX k with --shards N is shard k+1 of N', () => {
    expect(autoShard(4, { JOB_COMPLETION_INDEX: '0' })).toMatchObject({ index: 1, count: 4, engine: 'kubernetes' });
    expect(autoShard(4, { JOB_COMPLETION_INDEX: '3' })).toMatchObject({ index: 4, count: 4 });
  });

  it('refuses a Kubernetes index without --shards, and an index beyond it', () => {
    const e = refusal(() => autoShard(undefined, { JOB_COMPLETION_INDEX: '2' }));
    expect(e.message).toMatch(/"--shards"/);
    expect(e.message).toMatch(/spec\.completions/);
    expect(refusal(() => autoShard(3, { JOB_COMPLETION_INDEX: '3' })).message).toMatch(/more than 3 completions/);
  });

  it('refuses when no engine is found (and says a plain Slurm job is not an array task), or when both are', () => {
    const none = refusal(() => autoShard(undefined, {}));
    expect(none).toBeInstanceOf(EnvironmentError);
    expect(none.message).toMatch(/no cluster engine/);
    expect(none.message).toMatch(/SLURM_ARRAY_TASK_ID/);
    expect(none.message).toMatch(/JOB_COMPLETION_INDEX/);
    expect(refusal(() => autoShard(undefined, { SLURM_JOB_ID: '12' })).message).toMatch(/not an array task/);
    expect(refusal(() => autoShard(2, { ...slurm(0, 0, 1), JOB_COMPLETION_INDEX: '0' })).message).toMatch(/both/);
  });

  it('--shards N is 1..10^6', () => {
    expect(parseShardsOption('8')).toBe(8);
    expect(parseShardsOption(undefined)).toBeUndefined();
    for (const bad of ['0', '-1', 'x', '1000001', '2.5']) expect(refusal(() => parseShardsOption(bad)).message).toMatch(/"--shards" expected shard count in 1\.\.1000000/);
  });
});
