/**
 * The kernel profiles through the built CLI: `kvmclock kernels` reproduces the
 * kernel-variants §9.2 table (values, factors and exact rates per profile), `--kernel` on
 * clock, hotplug, migrate, timeline and report, junk profiles refused with the option named
 * and the valid ids listed, and `clock --guest windows` meeting the guest-clock acceptance
 * (H within one unit of ⌊B/100⌋, +999.774784 ppb against the guest TSC's nominal rate).
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runCli as run } from '../hardening/cli.js';

const TIMELINE = fileURLToPath(new URL('../fixtures/timelines/hotplug.json', import.meta.url));

interface ProfileJson {
  kernel: string;
  guestPvclock: { shift: number; mul: number; hz: string };
  hostClock: { shift: number; mul: number; viaGuestTsc: boolean };
  rates: Record<'bMinusC' | 'bMinusA' | 'cMinusA', { exact: string; ppb: number }>;
  at: Record<'A' | 'B' | 'C' | 'bMinusCNs' | 'bMinusANs', string>;
  resnapshotStepNs: string;
  getClockMinusGuestNs: string;
  migration: { method: string; kvmclockErrorNs: string }[] | null;
}

async function kernels(args: readonly string[]): Promise<ProfileJson[]> {
  const r = await run(['kernels', ...args, '--json', '--no-migration']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return (JSON.parse(r.stdout) as { profiles: ProfileJson[] }).profiles;
}

describe.concurrent('kvmclock kernels reproduces kernel-variants §9.2', () => {
  it('2.5 → 1.0 GHz VMX: B, C′, factors and exact rates per profile', async () => {
    const [base, queued, v6] = await kernels(['--host-khz', '2500000', '--guest-khz', '1000000']);
    expect([base.kernel, queued.kernel, v6.kernel]).toEqual(['6.18', '7.4-queued', 'clocks-v6']);
    expect([base.at.A, queued.at.A, v6.at.A]).toEqual(['86399994850158', '86399994850158', '86399994850158']);
    expect([base.at.B, base.at.C, base.at.bMinusCNs, base.resnapshotStepNs]).toEqual(['86400086380541', '86399999979883', '86400658', '-91530383']);
    expect([queued.at.B, queued.at.C, queued.at.bMinusCNs, queued.resnapshotStepNs]).toEqual(['86400086380541', '86400000080465', '86300076', '-91530383']);
    expect([v6.at.B, v6.at.C, v6.at.bMinusCNs, v6.resnapshotStepNs]).toEqual(['86400000080466', '86400000080465', '1', '-5230308']);
    expect([base.guestPvclock, v6.guestPvclock].map((g) => [g.shift, g.mul])).toEqual([[1, 2_147_485_795], [1, 2_147_483_650]]);
    expect([base.hostClock, queued.hostClock]).toEqual([{ shift: -1, mul: 3_435_973_836, viaGuestTsc: false }, { shift: 1, mul: 2_147_483_650, viaGuestTsc: true }]);
    expect(base.rates.bMinusC.exact).toBe('9223582976099/9223512774343131136');
    expect(base.rates.bMinusA.exact).toBe('38168168547/36028797018963968');
    expect(base.rates.cMinusA.exact).toBe('1/16843008');
    expect(queued.rates.bMinusC.exact).toBe('33/33038210');
    expect(queued.rates.cMinusA.exact).toBe('1090519041/18014398509481984');
    expect(v6.rates.bMinusC.exact).toBe('0');
    expect(queued.rates.bMinusC.ppb).toBe(998.84346); // 33/33038210·10^9 = 998.8434603…
    expect([base.getClockMinusGuestNs, queued.getClockMinusGuestNs, v6.getClockMinusGuestNs]).toEqual(['-86400658', '-86300076', '-1']);
  });

  it.each([
    ['2500000', '2000000', 'vmx', ['43190271', '43129922', '1'], ['4610717713457/9223512774343131136', '1072/2147483649', '0']],
    ['2500000', '2500000', 'vmx', ['0', '0', '0'], ['0', '0', '0']],
    ['3000000', '2500000', 'vmx', ['34575351', '34499915', '1'], ['322523409668968263/805950546222102798663680', '1372/3435973839', '0']],
    ['3000000', '2500000', 'svm', ['34567304', '34499914', '1'], ['4920171368263/12297829379609722880', '1372/3435973839', '0']],
  ] as const)('%s → %s kHz %s: B − C per profile and its exact rate', async (host, guest, vendor, bc, exact) => {
    const p = await kernels(['--host-khz', host, '--guest-khz', guest, '--vendor', vendor]);
    expect(p.map((x) => x.at.bMinusCNs)).toEqual(bc);
    expect(p.map((x) => x.rates.bMinusC.exact)).toEqual(exact);
  });

  it('the text table and the migration rows (M0–M5 per profile)', async () => {
    const r = await run(['kernels', '--host-khz', '3000000', '--guest-khz', '2500000', '--vendor', 'svm']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^B − C \(ns\)\s+\+34,567,304\s+\+34,499,914\s+\+1$/m);
    expect(r.stdout).toMatch(/^M4 kvmclock error \(ns\)\s+0\s+0\s+0$/m);
    expect(r.stdout).toContain('7.4-queued: c-via-guest-tsc, signed-compute-guest-tsc, upscale-to-now');
  });

  it('keep-active-masterclock makes the re-snapshot step 0 in every profile', async () => {
    const p = await kernels(['--host-khz', '2500000', '--guest-khz', '1000000', '--kernel', '6.18+keep-active-masterclock,clocks-v6+keep-active-masterclock']);
    expect(p.map((x) => x.resnapshotStepNs)).toEqual(['0', '0']);
  });
});

describe.concurrent('--kernel on the other commands', () => {
  it('junk profiles are refused with exit 2, naming the option, the unknown part and the valid ids', async () => {
    for (const [cmd, extra] of [['clock', ['--host-khz', '2500000']], ['kernels', ['--host-khz', '2500000']], ['hotplug', []], ['migrate', []], ['report', []], ['timeline', [TIMELINE]]] as const) {
      const r = await run([cmd, ...extra, '--kernel', '7.4-queued+hz']);
      expect(r.status, cmd).toBe(2);
      expect(r.stderr).toContain('"--kernel');
      expect(r.stderr).toContain('"hz"');
      expect(r.stderr).toContain('hz-pvclock');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const unknown = await run(['clock', '--host-khz', '2500000', '--kernel', '6.19']);
    expect(unknown.stderr).toContain('6.18, 7.4-queued, clocks-v6');
  });

  it('clock --kernel gives one JSON line per profile with its kernel, and the default output stays profile-free', async () => {
    const [multi, plain] = await Promise.all([
      run(['clock', '--host-khz', '2500000', '--guest-khz', '1000000', '--kernel', '6.18,clocks-v6', '--json']),
      run(['clock', '--host-khz', '2500000', '--guest-khz', '1000000']),
    ]);
    const lines = multi.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kernel: { name: string }; b: string; c: string });
    expect(lines.map((l) => [l.kernel.name, l.b, l.c])).toEqual([
      ['6.18', '86400086380541', '86399999979883'],
      ['clocks-v6', '86400000080466', '86400000080465'],
    ]);
    expect(plain.stdout).not.toMatch(/^kernel /m);
    expect(plain.stdout).toContain('C  __get_kvmclock                      86,399,999,979,883 ns');
  });

  it('hotplug, migrate and timeline run once per profile', async () => {
    const [hp, mig, tl] = await Promise.all([
      run(['hotplug', '--elapsed', '1d', '--kernel', '6.18,clocks-v6', '--json']),
      run(['migrate', '--method', 'm0', '--kernel', '6.18,7.4-queued', '--json']),
      run(['timeline', TIMELINE, '--kernel', '6.18,clocks-v6', '--json']),
    ]);
    const steps = hp.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kernel: string; steps: { legacyStepNs: string }[] });
    expect(steps.map((s) => [s.kernel, s.steps[0].legacyStepNs])).toEqual([['6.18', '-91530383'], ['clocks-v6', '-5230308']]);
    expect(mig.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { kernel: string }).kernel)).toEqual(['6.18', '7.4-queued']);
    expect(tl.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { kernel: string }).kernel)).toEqual(['6.18', 'clocks-v6']);
  });

  it('report --kernel prints the one-day table per profile, cross-checked', async () => {
    const r = await run(['report', '--kernel', '6.18,clocks-v6']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/2,500,000\s+1,000,000\s+vmx\s+clocks-v6\s+86,400,000,080,466\s+86,400,000,080,465\s+\+1\s+\+5,230,308\s+-5,230,308/);
    expect(r.stdout).toContain('identical');
  });
});

describe.concurrent('clock --guest (guest-clock ABIs)', () => {
  it('windows: H within one 100 ns unit of ⌊B/100⌋ and +999.774784 ppb against the guest TSC’s nominal rate', async () => {
    const [text, json] = await Promise.all([
      run(['clock', '--guest', 'windows', '--host-khz', '2500000', '--guest-khz', '1000000', '--at', '1d']),
      run(['clock', '--guest', 'windows', '--host-khz', '2500000', '--guest-khz', '1000000', '--at', '1d', '--json']),
    ]);
    expect(text.stdout).toContain('+999.774784 ppb');
    expect(text.stdout).toMatch(/H {2}Hyper-V reference time \(page\)\s+864,000,863,805 × 100 ns/);
    const s = JSON.parse(json.stdout) as { guest: string; b: string; guests: { windows: { units: string; minusBUnits: string; page: { valid: boolean; scale: string; offset: string } } } };
    expect(s.guest).toBe('windows');
    const w = s.guests.windows;
    expect(BigInt(w.units) - BigInt(s.b) / 100n).toBe(BigInt(w.minusBUnits));
    expect(Math.abs(Number(w.minusBUnits))).toBeLessThanOrEqual(1);
    expect(w.page).toEqual({ valid: true, scale: '184467625162991206', offset: '-4000003999' });
  });

  it('xen: the CPUID leaf with EAX = tgt_tsc_khz (999,999 for a 1 GHz guest)', async () => {
    const r = await run(['clock', '--guest', 'xen', '--host-khz', '2500000', '--guest-khz', '1000000']);
    expect(r.stdout).toContain('ECX 2,147,485,795 (tsc_to_system_mul), EDX 1');
    expect(r.stdout).toContain('EAX 999,999 kHz');
  });

  it('an unknown guest kind exits 2 naming --guest', async () => {
    const r = await run(['clock', '--host-khz', '2500000', '--guest', 'solaris']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--guest expected one of linux, windows, xen');
  });
});

describe.concurrent('the README timelines under kernel profiles', () => {
  const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/timelines/${name}`, import.meta.url));
  interface TimelineJson {
    kernel: string;
    events: { type: string; ok: boolean; clockData?: { clock: string; flags: number }; error?: { code: string } }[];
    discontinuities: { quantity: string; step: string; cause: string }[];
    samples: { b: string }[];
  }
  const runTimeline = async (name: string, kernels: string) => {
    const r = await run(['timeline', fixture(name), '--kernel', kernels, '--json']);
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as TimelineJson);
  };

  it('stale-vm-ratio.json: KVM_GET_CLOCK after a day is the host-rate C under 7.4-queued (stale ratio), C′ within 1 ns of B under clocks-v6', async () => {
    const [queued, v6] = await runTimeline('stale-vm-ratio.json', '7.4-queued,clocks-v6');
    const clockOf = (t: TimelineJson) => BigInt(t.events.find((e) => e.type === 'getClock')?.clockData?.clock ?? '-1');
    const lastB = (t: TimelineJson) => BigInt(t.samples[t.samples.length - 1].b);
    expect(clockOf(queued)).toBe(86_399_999_979_883n);
    expect(lastB(queued) - clockOf(queued)).toBe(86_400_658n);
    expect(lastB(v6) - clockOf(v6)).toBe(1n);
    expect(v6.discontinuities).toEqual([]); // re-synchronised: the guest TSC stays continuous across KVM_SET_TSC_KHZ
  });

  it('paused-clocksource-change.json: GET_CLOCK still from the old reference (flags 2) while paused; at resume B snaps to A and GET_CLOCK_GUEST fails', async () => {
    const runs = await runTimeline('paused-clocksource-change.json', '6.18,7.4-queued,clocks-v6');
    for (const t of runs) {
      const gets = t.events.filter((e) => e.type === 'getClock').map((e) => e.clockData?.flags);
      expect(gets).toEqual([2, 0]);
      const guests = t.events.filter((e) => e.type === 'getClockGuest').map((e) => (e.ok ? 'ok' : e.error?.code));
      expect(guests).toEqual(['ok', 'EINVAL']);
    }
    expect(runs.map((t) => t.discontinuities.map((d) => `${d.quantity} ${d.step} ${d.cause}`))).toEqual([['B -91657508 run'], ['B -91657508 run'], ['B -5237572 run']]);
  });
});
