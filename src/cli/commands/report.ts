/**
 * `kvmclock report`: the spec's worked examples computed live
 * on the Wasm backend and re-checked against the BigInt reference.
 */
import { kvmclock } from '../../index.js';
import { formatDecimal } from '../../rational.js';
import { computeWorkedExamples, type WorkedExamples } from '../../report/worked-examples.js';
import { type VariantRow, variantTable } from '../../report/kernel-comparison.js';
import type { CliCommand } from '../command.js';
import { backendOption, kernelOption, parseOptions } from '../options.js';
import { toJson } from '../json.js';
import { writeStdout } from '../stream-writer.js';
import { groupDigits, renderTable } from '../table.js';

const HELP = `usage: kvmclock report [--kernel PROFILE[,PROFILE…]] [--backend wasm|reference] [--json]

Prints the kernel's clock arithmetic for common TSC frequencies, computed live:
kvm_get_time_scale factors, the TSC clocksource's mult/shift and its raw-clock error,
scaled-guest ratios with the pvclock frequency the guest is given, and one second
of the three KVM clock definitions. Rates are exact fractions rounded for printing.
--kernel adds the kernel-variants one-day table (five frequency pairs) under each profile.`;

/** The one-day comparison under kernel profiles (kernel-variants §9.2). */
function renderVariants(rows: readonly VariantRow[]): string {
  const sgn = (v: bigint) => (v > 0n ? `+${groupDigits(v)}` : groupDigits(v));
  return [
    'Kernel profiles, one day after the standard reference (kernel-variants §9.2): B, C (C′ with c-via-guest-tsc), B − C, B − A, the re-snapshot step, B − C rate',
    renderTable(
      ['host kHz', 'guest kHz', 'vendor', 'kernel', 'B ns', 'C ns', 'B − C ns', 'B − A ns', 're-snapshot step ns', 'B − C ppb'],
      rows.map((r) => [r.hostKhz, r.guestKhz, r.vendor, r.kernel, r.b, r.c, sgn(r.bMinusC), sgn(r.bMinusA), sgn(r.resnapshotStepNs), formatDecimal(r.ratePpb.bMinusC, 4)]),
    ),
    '',
  ].join('\n');
}

function renderText(w: WorkedExamples, agrees: boolean): string {
  const ppb = (r: { num: bigint; den: bigint }) => formatDecimal(r, 3);
  const out: string[] = [];
  out.push(`kvmclock report — Linux KVM/x86 clock arithmetic, computed live (backend: ${w.backend})`, '');
  out.push('kvm_get_time_scale(10^9, tsc_khz·1000): the pvclock factors for a TSC (ns per cycle = mul·2^shift/2^32)');
  out.push(renderTable(['tsc_khz', 'shift', 'mul', 'rate error ppb'], w.timeScale.map((r) => [r.tscKhz, r.shift, r.mul, ppb(r.errorPpb)])), '');
  out.push('TSC clocksource registered from tsc_khz (scale 1000, 64-bit mask, 600 s cap): CLOCK_MONOTONIC_RAW rate');
  out.push(renderTable(['tsc_khz', 'mult', 'shift', 'maxadj', 'raw error ppb'], w.clocksource.map((r) => [r.tscKhz, r.mult, r.shift, r.maxadj, ppb(r.rawErrorPpb)])), '');
  out.push(`Tolerance window at ${groupDigits(w.tolerance.hostKhz)} kHz, ±${w.tolerance.ppm} ppm: ${groupDigits(w.tolerance.lo)} … ${groupDigits(w.tolerance.hi)} kHz (inside: no scaling)`, '');
  out.push('Scaled guests: KVM_SET_TSC_KHZ ratio, the guest pvclock frequency tgt_tsc_khz, and the rate of B over C');
  out.push(
    renderTable(
      ['vendor', 'host kHz', 'guest kHz', 'ratio', 'tgt_tsc_khz', 'shift', 'mul', 'B−C ppb', 'B−C ms/day'],
      w.scaledGuests.map((r) => [
        r.vendor,
        r.hostKhz,
        r.guestKhz,
        r.ratio,
        r.tgtKhz,
        r.pvclockShift,
        r.pvclockMul,
        ppb(r.bMinusCPpb),
        formatDecimal({ num: r.bMinusCPpb.num * 86_400n, den: r.bMinusCPpb.den * 1_000_000n }, 2),
      ]),
    ),
    '',
  );
  const s = w.oneSecond;
  out.push(`One second after a master-clock snapshot, ${groupDigits(s.hostKhz)} kHz host → ${groupDigits(s.guestKhz)} kHz VMX guest (ns):`);
  out.push(`  A (host raw clock)      ${groupDigits(s.a)}`);
  out.push(`  B (guest pvclock read)  ${groupDigits(s.b)}`);
  out.push(`  C (__get_kvmclock)      ${groupDigits(s.c)}`, '');
  out.push(agrees ? 'Cross-check: every figure above recomputed on the BigInt reference backend is identical.' : 'Cross-check FAILED: the reference backend disagrees (a kvmclock bug).');
  return out.join('\n');
}

export const reportCommand: CliCommand = {
  name: 'report',
  async run(argv) {
    const { values } = parseOptions(argv, { kernel: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const backend = backendOption(values.backend);
    const kernels = values.kernel === undefined ? null : kernelOption(values.kernel);
    const otherBackend = backend === 'wasm' ? 'reference' : 'wasm';
    const examples = computeWorkedExamples(kvmclock(backend));
    const other = computeWorkedExamples(kvmclock(otherBackend));
    const variants = kernels === null ? null : variantTable(kvmclock(backend), kernels);
    const otherVariants = kernels === null ? null : variantTable(kvmclock(otherBackend), kernels);
    const agrees = toJson({ ...examples, backend: '', variants }) === toJson({ ...other, backend: '', variants: otherVariants });
    const text = variants === null ? renderText(examples, agrees) : `${renderVariants(variants)}\n${renderText(examples, agrees)}`;
    await writeStdout(values.json ? `${toJson({ ...examples, ...(variants === null ? {} : { kernelProfiles: variants }), crossCheck: agrees })}\n` : `${text}\n`);
    return agrees ? 0 : 70;
  },
};
