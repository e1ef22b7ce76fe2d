/**
 * Clocksource registration with the values the kernel prints (max_cycles, max_idle_ns),
 * clock D, and the tick counters — against this guest's boot lines and lines from public
 * boot logs of other machines.
 */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { guestClocksourceD } from '../../src/probe/clock-d.js';
import { ACPI_PM_HZ, jiffiesRegistration, MASK_24, MASK_64, registerClocksource } from '../../src/probe/clocksource.js';
import { formatDecimal } from '../../src/rational.js';
import { BACKEND_NAMES } from '../helpers/backend-names.js';

describe.each(BACKEND_NAMES)('clocksource registration on the %s backend', (backend) => {
  const api = kvmclock(backend);

  it('clock D of the recorded guest (tsc_khz 2,596,120) reproduces its tsc and tsc-early lines', () => {
    const d = guestClocksourceD(api, 2_596_120);
    expect(d.registration).toMatchObject({ mult: 6_462_419, shift: 24, maxadj: 710_866, maxsec: 600n, maxCycles: 0x256bead120an, maxIdleNs: 440_795_214_554n });
    expect(d.rate).toEqual({ num: 6_462_419n, den: 1n << 24n });
    expect(formatDecimal(d.errorPpb, 3)).toBe('-46.833');
  });

  it('the spec’s TSC clocksource table (§6.2)', () => {
    for (const [khz, mult, shift, ppb] of [
      [2_500_000, 6_710_886, 24, '-59.605'],
      [3_700_000, 2_267_191, 23, '-154.972'],
      [10_000_000, 1_677_722, 24, '238.419'],
      [1_000_000, 8_388_608, 23, '0.000'],
    ] as const) {
      const d = guestClocksourceD(api, khz);
      expect([d.registration.mult, d.registration.shift]).toEqual([mult, shift]);
      expect(formatDecimal(d.errorPpb, 3)).toBe(ppb);
    }
  });

  it('kvm-clock (1 GHz, scale 1) reproduces the guest’s kvm-clock line', () => {
    expect(registerClocksource(api, 'kvm-clock', 1_000_000_000, 1, MASK_64)).toMatchObject({ mult: 8_388_608, shift: 23, maxCycles: 0x1cd42e4dffbn, maxIdleNs: 881_590_591_483n });
  });

  it.each([
    // "tsc: Refined TSC clocksource calibration: X MHz" followed by "clocksource: tsc: …" in public boot logs
    [2_499_814, 0x24088a0007en, 440_795_263_290n],
    [2_592_000, 0x255cb6cc5dbn, 440_795_203_504n],
    [2_495_952, 0x23fa49fc138n, 440_795_295_059n],
    [2_304_001, 0x2135f8984a8n, 440_795_232_764n],
    [2_600_001, 0x257a3ce1c4cn, 440_795_206_275n],
  ])('a TSC registered at %i kHz prints max_cycles %s, max_idle_ns %s (public boot logs)', (khz, maxCycles, maxIdleNs) => {
    expect(registerClocksource(api, 'tsc', khz, 1000, MASK_64)).toMatchObject({ maxCycles, maxIdleNs });
  });

  it('the ACPI PM timer line every PC prints', () => {
    expect(registerClocksource(api, 'acpi_pm', ACPI_PM_HZ, 1, MASK_24)).toMatchObject({ maxsec: 4n, maxCycles: 0xffffffn, maxIdleNs: 2_085_701_024n });
  });

  it.each([
    // HZ, jiffies max_idle_ns, refined-jiffies max_idle_ns; HZ 250 from this guest, 1000 and 300 as seen in public boot logs
    [250, 7_645_041_785_100_000n, 7_645_519_600_211_568n],
    [1000, 1_911_260_446_275_000n, 1_910_969_940_391_419n],
    [300, 6_370_867_519_511_994n, 6_370_452_778_343_963n],
  ])('tick counters at HZ %i', (hz, jiffies, refined) => {
    expect(jiffiesRegistration(api, 'jiffies', hz)).toMatchObject({ mask: 0xffffffffn, maxCycles: 0xffffffffn, maxIdleNs: jiffies });
    expect(jiffiesRegistration(api, 'refined-jiffies', hz)).toMatchObject({ mask: 0xffffffffn, maxCycles: 0xffffffffn, maxIdleNs: refined });
  });
});
