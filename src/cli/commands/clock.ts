/**
 * `kvmclock clock`: one host/guest frequency pair on the standard reference, evaluated
 * at a horizon — the state KVM keeps and the three KVM clocks.
 */
import { formatDurationNs } from '../../duration.js';
import { kvmclock } from '../../index.js';
import { type ClockSummary, clockSummary } from '../../model/clock-summary.js';
import type { CliCommand } from '../command.js';
import { toJson } from '../json.js';
import { formatDecimal, type Ratio } from '../../rational.js';
import { backendOption, type GuestKind, guestKindOption, kernelOption, pairOptions, parseOptions } from '../options.js';
import { writeStdout } from '../stream-writer.js';
import { groupDigits } from '../table.js';

const HELP = `usage: kvmclock clock --host-khz N --guest-khz N [--vendor vmx|svm] [--at DURATION]
                      [--kernel PROFILE[,PROFILE…]] [--guest linux|windows|xen]
                      [--no-tsc-control] [--tolerance-ppm N] [--json] [--backend wasm|reference]

A VM on a host with TSC --host-khz whose vCPU was given --guest-khz (KVM_SET_TSC_KHZ),
set up as the spec's standard reference (raw clock, kvmclock_offset and TSC offset all 0,
master clock taken at host TSC 10^12), evaluated --at after the reference (default 1d;
units ns/us/ms/s/m/h/d/w/y, a bare number is seconds). Prints the host clocksource and
pvclock factors, the vCPU's ratio and pvclock record, A (host raw clock), B (what the
guest reads), C (__get_kvmclock), their differences, and the step a master-clock
re-snapshot at that instant would cause.

--kernel evaluates under one or more kernel profiles (6.18 by default; 7.4-queued,
clocks-v6, or compositions such as 7.4-queued+hz-pvclock), one block (JSON line) each.
--guest windows adds clock H, the Hyper-V reference time (the TSC page KVM derives from
the record, or the reference-counter MSR), with its exact drift; --guest xen the Xen CPUID
TSC leaf (Xen guest time is B); --guest linux (the default when --guest is given) B
itself. With --guest, the VMClock period a VMM would write is shown too.`;

export const clockCommand: CliCommand = {
  name: 'clock',
  async run(argv) {
    const { values } = parseOptions(argv, {
      'host-khz': { type: 'string' },
      'guest-khz': { type: 'string' },
      vendor: { type: 'string' },
      at: { type: 'string' },
      'no-tsc-control': { type: 'boolean' },
      'tolerance-ppm': { type: 'string' },
      kernel: { type: 'string' },
      guest: { type: 'string' },
      json: { type: 'boolean' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const api = kvmclock(backendOption(values.backend));
    const { hostKhz, guestKhz, vendor, horizonNs, tolerancePpm, hasTscControl } = pairOptions(api, values);
    const kernels = kernelOption(values.kernel);
    const guest = values.guest === undefined ? undefined : guestKindOption(values.guest);
    const blocks = kernels.map((kernel) => {
      const s = clockSummary(api, { hostKhz, guestKhz, vendor, hasTscControl, tolerancePpm, kernel }, horizonNs);
      if (values.json) return toJson(guest === undefined ? s : { ...s, guest });
      const head = values.kernel === undefined ? [] : [kernelLine(s)];
      return [...head, renderSummary(s), ...(guest === undefined ? [] : ['', ...renderGuest(s, guest)])].join('\n');
    });
    await writeStdout(`${blocks.join(values.json ? '\n' : '\n\n')}\n`);
    return 0;
  },
};

function signed(v: bigint): string {
  return v > 0n ? `+${groupDigits(v)}` : groupDigits(v);
}

const ppb = (r: Ratio, digits = 3) => {
  const t = formatDecimal(r, digits);
  return t.startsWith('-') ? t : `+${t}`;
};

/** The profile a block was computed under, with its changes. */
function kernelLine(s: ClockSummary): string {
  return `kernel ${s.kernel.name}: ${s.kernel.changes.length === 0 ? 'the v6.18 baseline, no change' : s.kernel.changes.join(', ')}`;
}

/** The clock a guest kind reads, next to A/B/C/D (guest-clock-abis). */
function renderGuest(s: ClockSummary, kind: GuestKind): string[] {
  const g = groupDigits;
  const out: string[] = [];
  const w = s.guests.windows;
  if (kind === 'windows') {
    const page = w.page.valid
      ? `scale ${g(w.page.scale)}, offset ${signed(w.page.offset)} (valid)`
      : `invalid (${w.page.reason === 'unstable' ? 'the record lacks PVCLOCK_TSC_STABLE' : w.page.reason === 'mul' ? 'a guest TSC tick is 100 ns or more' : w.page.reason}): Windows falls back to the reference-counter MSR`;
    out.push(`Windows guest: Hyper-V reference TSC page KVM derives from the record: ${page}`);
    out.push(`  H  Hyper-V reference time (${w.source === 'page' ? 'page' : 'MSR'})${g(w.units).padStart(29)} × 100 ns   ⌊B/100⌋ ${g(s.b / 100n)}, H − ⌊B/100⌋ = ${signed(w.minusBUnits)}`);
    if (w.ratePpb !== null) {
      out.push(`  drift of H: against B ${ppb(w.ratePpb.vsB, 12)} ppb, against the guest TSC at exactly ${g(s.guestKhz)} kHz ${ppb(w.ratePpb.vsNominal, 6)} ppb (${ppb(msPerDay(w.ratePpb.vsNominal), 3)} ms/day), against A ${ppb(w.ratePpb.vsA, 6)} ppb`);
    }
    out.push(`  HV_X64_MSR_TSC_FREQUENCY tells the guest ${g(w.tscFrequencyHz)} Hz; the page converts at the record's tgt_tsc_khz ${g(s.vcpu.tgtTscKhz)}`);
    out.push(`  reference-counter MSR without a valid page: ⌊get_kvmclock_ns/100⌋ = ${g(w.msrUnits)} (${s.master.inUse ? (s.hostClock.viaGuestTsc ? 'C′' : 'C') : 'A'}, not B: ${signed(w.msrUnits - w.units)} units from the page)`);
  } else if (kind === 'xen') {
    const leaf = s.guests.xen.leaf;
    out.push('Xen guest: its vcpu_time_info is the kvmclock record itself, so Xen guest time is B');
    if (leaf !== null) {
      out.push(`  CPUID leaf 4: ECX ${g(leaf.ecx)} (tsc_to_system_mul), EDX ${g(leaf.edx)} (tsc_shift ${s.vcpu.record.tscShift} sign-extended), EAX ${g(leaf.eax)} kHz (tgt_tsc_khz${BigInt(leaf.eax) === BigInt(s.guestKhz) ? '' : `: the guest is told ${g(leaf.eax)} kHz for a ${g(s.guestKhz)} kHz TSC`})`);
    }
  } else {
    out.push('Linux guest: kvm-clock reads the record (B); with the tsc clocksource its CLOCK_MONOTONIC_RAW is D');
  }
  const v = s.guests.vmclock;
  if (v !== null) {
    out.push(`VMClock for a ${g(s.guestKhz)} kHz counter: counter_period_shift ${v.period.shift}, counter_period_frac_sec ${g(v.period.period)}; against B ${ppb(v.vsBPpb, 4)} ppb, against the TSC at exactly ${g(s.guestKhz)} kHz ${ppb(v.vsNominalPpb, 12)} ppb`);
  }
  return out;
}

/** A ppb rate as ms per day, exact: 1 ppb of a day (86,400 s) is 86.4 µs. */
function msPerDay(ppbRate: Ratio): Ratio {
  return { num: ppbRate.num * 86_400n, den: ppbRate.den * 1_000_000n };
}

const clockLine = (name: string, label: string, v: bigint) => `  ${name}  ${label.padEnd(28)}${groupDigits(v).padStart(26)} ns`;

function renderSummary(s: ClockSummary): string {
  const g = groupDigits;
  const set = s.vcpu.setTscKhz;
  const scaling = s.vcpu.scaled
    ? `hardware scaling, ratio ${g(s.vcpu.ratio)} (${s.vendor}, 2^${s.vendor === 'vmx' ? 48 : 32} = identity)`
    : set.useScaling
      ? set.catchup
        ? 'outside tolerance, no hardware scaling: software catch-up'
        : `outside tolerance, ratio refused (rc ${set.rc}): the guest TSC runs at the host rate`
      : 'within tolerance: no scaling, the guest TSC runs at the host rate';
  const r = s.vcpu.record;
  return [
    `host  ${g(s.hostKhz)} kHz ${s.vendor}${s.hasTscControl ? '' : ' (no TSC scaling)'}: clocksource mult ${g(s.host.clocksource.mult)} shift ${s.host.clocksource.shift}; pvclock (C) mul ${g(s.host.hostScale.mul)} shift ${s.host.hostScale.shift}; max guest ${g(s.host.maxGuestTscKhz)} kHz`,
    `vCPU  KVM_SET_TSC_KHZ ${g(s.guestKhz)}: ${scaling}`,
    `      tgt_tsc_khz ${g(s.vcpu.tgtTscKhz)}; virtual_tsc mult ${set.virtualTscMult === null ? '-' : g(set.virtualTscMult)} shift ${set.virtualTscShift ?? '-'}`,
    ...(s.kernel.changes.includes('hz-pvclock') ? [`      pvclock frequency ${g(s.vcpu.pvclockHz)} Hz (hz-pvclock: scaled in Hz, floored once)`] : []),
    `      pvclock record: version ${r.version}, tsc_timestamp ${g(r.tscTimestamp)}, system_time ${g(r.systemTime)}, mul ${g(r.tscToSystemMul)}, shift ${r.tscShift}, flags ${r.flags}`,
    `master clock ${s.master.inUse ? 'in use' : 'NOT in use'}: master_cycle_now ${g(s.master.cycleNow)}, master_kernel_ns ${g(s.master.kernelNs)}`,
    ...(s.hostClock.viaGuestTsc
      ? [`      KVM_GET_CLOCK through the guest TSC (c-via-guest-tsc): VM ratio ${g(s.master.tscScalingRatio)}, snapshot mul ${g(s.hostClock.mul)} shift ${s.hostClock.shift}`]
      : []),
    '',
    `at +${formatDurationNs(s.horizonNs)} (host TSC ${g(s.at)}, guest TSC ${g(s.guestTsc)}):`,
    clockLine('A', 'host raw clock + offsets', s.a),
    clockLine('B', 'guest pvclock read', s.b),
    clockLine('C', s.hostClock.viaGuestTsc ? 'get_kvmclock (C′, guest TSC)' : '__get_kvmclock', s.c),
    ...(s.d === null || s.guestClocksource === null
      ? []
      : [`${clockLine('D', 'guest CLOCK_MONOTONIC_RAW', s.d)}   (guest tsc clocksource from pvclock_tsc_khz ${g(s.guestClocksource.tscKhz)}: mult ${g(s.guestClocksource.mult)} shift ${s.guestClocksource.shift})`]),
    `  B − A ${signed(s.bMinusA)} ns   C − A ${signed(s.cMinusA)} ns   B − C ${signed(s.bMinusC)} ns${s.bMinusD === null || s.guestClocksource === null ? '' : `   B − D ${signed(s.bMinusD)} ns (kvm-clock ${formatDecimal(s.guestClocksource.kvmclockVsDPpb, 3)} ppb against the guest's raw clock)`}`,
    ...(s.kernel.changes.includes('keep-active-masterclock')
      ? ['  an unforced master-clock update keeps this reference (keep-active-masterclock): the guest clock steps by 0;', '  a forced one (KVM_SET_CLOCK) re-bases it']
      : [`  a legacy master-clock re-snapshot now steps the guest clock by ${signed(s.resnapshotStepNs)} ns;`, `  the continuous variant would set kvmclock_offset to ${g(s.continuousKvmclockOffset)} and step it by 0`]),
    ...(s.kernel.changes.length === 0
      ? []
      : [
          `  rates (exact, per host cycle): B − C ${ppb(s.ratePpb.bMinusC, 4)} ppb, B − A ${ppb(s.ratePpb.bMinusA, 4)} ppb, C − A ${ppb(s.ratePpb.cMinusA, 4)} ppb; KVM_GET_CLOCK − B ${signed(s.getClock.clock - s.b)} ns`,
        ]),
  ].join('\n');
}
