/**
 * Finding 6 of the hardening audit: enormous work started without a word (a 10^14-point
 * sweep, `bench --conversions 1e15`: RSS 2 GB in 26 s, the progress bar at "ETA NFs"). Now
 * the size and an estimated time are stated before the work, a run estimated past an hour
 * is refused without --force, and a long bench keeps a bounded number of samples.
 */
import { describe, expect, it, vi } from 'vitest';
import { announceOrRefuse, describeSeconds } from '../../src/cli/estimate.js';
import { MAX_SAMPLES, sampleEveryChunksFor } from '../../src/parallel/conversions.js';
import { runCli as run } from './cli.js';


describe.concurrent('enormous work is refused before it starts', () => {
  it('sweep of 10^14 points: the size, an estimate and --force named; exit 2, nothing on stdout', async () => {
    const horizons = Array.from({ length: 50 }, (_, i) => `${i + 1}s`).join(',');
    const r = await run(['sweep', '--host-khz', '1:10000000:1', '--guest-khz', '1:100000:1', '--vendor', 'vmx,svm', '--horizon', horizons, '--json']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kvmclock sweep: 100,000,000,000,000 points, estimated [\d.]+(y|d) on \d+ thread\(s\): more than 1h, so not started; .*--shard.* or add --force to run it anyway\n$/);
  });

  it('bench --conversions 1e15: the count, an estimate and --force named; exit 2', async () => {
    const r = await run(['bench', '--conversions', '1e15']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^kvmclock bench: 1,000,000,000,000,000 conversions, estimated [\d.]+(y|d|h) at [\d,]+ M\/s per thread on \d+ thread\(s\): more than 1h, so not started; .* --force to run it anyway\n$/);
  });

  it('announces a long run, refuses a longer one unless forced', () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      announceOrRefuse({ command: 'sweep', size: '5 points', seconds: 1, basis: 'on 1 thread', smaller: 'less', force: false });
      announceOrRefuse({ command: 'sweep', size: '5 points', seconds: 120, basis: 'on 1 thread', smaller: 'less', force: false });
      expect(() => announceOrRefuse({ command: 'sweep', size: '5 points', seconds: 7200, basis: 'on 1 thread', smaller: 'less', force: false })).toThrow(/more than 1h/);
      announceOrRefuse({ command: 'sweep', size: '5 points', seconds: 7200, basis: 'on 1 thread', smaller: 'less', force: true });
      expect(spy.mock.calls.map((c) => c[0])).toEqual(['kvmclock sweep: 5 points, estimated 2min on 1 thread\n', 'kvmclock sweep: 5 points, estimated 2h on 1 thread\n']);
    } finally {
      spy.mockRestore();
    }
    expect([describeSeconds(86_400 * 365 * 79.3), describeSeconds(Infinity)]).toEqual(['79.3y', 'forever']);
  });
});

describe('bench keeps a bounded number of samples', () => {
  it.each([1e9, 1e10, 1e12, 1e15, Number.MAX_SAFE_INTEGER])('%d conversions: at most %#', (count) => {
    const every = sampleEveryChunksFor(count);
    expect(every).toBeGreaterThanOrEqual(256);
    expect(count / 4096 / every).toBeLessThanOrEqual(MAX_SAMPLES);
  });
});
