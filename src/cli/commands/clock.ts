/**
 * `kvmclock clock`: one host/guest frequency pair on the standard reference, evaluated
 * at a horizon — the state KVM keeps and the three KVM clocks.
 */
import { formatDurationNs } from '../../duration.js';
import { kvmclock } from '../../index.js';
import { type ClockSummary, clockSummary } from '../../model/clock-summary.js';
import { tscCaps } from '../../model/vendor.js';
import { type CliCommand, UsageError } from '../command.js';
import { toJson } from '../json.js';
import { formatDecimal } from '../../rational.js';
import { backendOption, integerInRange, khzOption, parseOptions, reachOption, vendorOption } from '../options.js';
import { writeStdout } from '../stream-writer.js';
import { groupDigits } from '../table.js';

const HELP = `usage: kvmclock clock --host-khz N --guest-khz N [--vendor vmx|svm] [--at DURATION]
                      [--no-tsc-control] [--tolerance-ppm N] [--json] [--backend wasm|reference]

A VM on a host with TSC --host-khz whose vCPU was given --guest-khz (KVM_SET_TSC_KHZ),
set up as the spec's standard reference (raw clock, kvmclock_offset and TSC offset all 0,
master clock taken at host TSC 10^12), evaluated --at after the reference (default 1d;
units ns/us/ms/s/m/h/d/w/y, a bare number is seconds). Prints the host clocksource and
pvclock factors, the vCPU's ratio and pvclock record, A (host raw clock), B (what the
guest reads), C (__get_kvmclock), their differences, and the step a master-clock
re-snapshot at that instant would cause.`;

export const clockCommand: CliCommand = {
  name: 'clock',
  summary: 'the KVM clock state and A/B/C for one host/guest TSC pair at a horizon',
  async run(argv) {
    const { values } = parseOptions(argv, {
      'host-khz': { type: 'string' },
      'guest-khz': { type: 'string' },
      vendor: { type: 'string' },
      at: { type: 'string' },
      'no-tsc-control': { type: 'boolean' },
      'tolerance-ppm': { type: 'string' },
      json: { type: 'boolean' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (values['host-khz'] === undefined) throw new UsageError('--host-khz is required (the host TSC frequency in kHz, 1..4294967295)');
    const hostKhz = khzOption(values['host-khz'], '--host-khz', 0);
    const guestKhz = khzOption(values['guest-khz'], '--guest-khz', hostKhz);
    const vendor = vendorOption(values.vendor);
    const horizonNs = reachOption(values.at ?? '1d', '--at', hostKhz, '--host-khz');
    const tolerancePpm = values['tolerance-ppm'] === undefined ? undefined : integerInRange(values['tolerance-ppm'], '--tolerance-ppm', 250, 0, 0xffff_ffff);
    const api = kvmclock(backendOption(values.backend));
    const hasTscControl = !values['no-tsc-control'];
    const caps = tscCaps(vendor, hasTscControl);
    const maxGuest = hasTscControl ? api.maxGuestTscKhz(hostKhz, caps.maxRatio, caps.frac) : 0;
    if (hasTscControl && guestKhz >= maxGuest) {
      throw new UsageError(`--guest-khz ${guestKhz}: KVM_SET_TSC_KHZ returns -EINVAL at or above max_guest_tsc_khz ${maxGuest} (${vendor} host at ${hostKhz} kHz)`);
    }
    const s = clockSummary(api, { hostKhz, guestKhz, vendor, hasTscControl, tolerancePpm }, horizonNs);
    await writeStdout(values.json ? `${toJson(s)}\n` : `${renderSummary(s)}\n`);
    return 0;
  },
};

function signed(v: bigint): string {
  return v > 0n ? `+${groupDigits(v)}` : groupDigits(v);
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
    `      pvclock record: version ${r.version}, tsc_timestamp ${g(r.tscTimestamp)}, system_time ${g(r.systemTime)}, mul ${g(r.tscToSystemMul)}, shift ${r.tscShift}, flags ${r.flags}`,
    `master clock ${s.master.inUse ? 'in use' : 'NOT in use'}: master_cycle_now ${g(s.master.cycleNow)}, master_kernel_ns ${g(s.master.kernelNs)}`,
    '',
    `at +${formatDurationNs(s.horizonNs)} (host TSC ${g(s.at)}, guest TSC ${g(s.guestTsc)}):`,
    clockLine('A', 'host raw clock + offsets', s.a),
    clockLine('B', 'guest pvclock read', s.b),
    clockLine('C', '__get_kvmclock', s.c),
    ...(s.d === null || s.guestClocksource === null
      ? []
      : [`${clockLine('D', 'guest CLOCK_MONOTONIC_RAW', s.d)}   (guest tsc clocksource from pvclock_tsc_khz ${g(s.guestClocksource.tscKhz)}: mult ${g(s.guestClocksource.mult)} shift ${s.guestClocksource.shift})`]),
    `  B − A ${signed(s.bMinusA)} ns   C − A ${signed(s.cMinusA)} ns   B − C ${signed(s.bMinusC)} ns${s.bMinusD === null || s.guestClocksource === null ? '' : `   B − D ${signed(s.bMinusD)} ns (kvm-clock ${formatDecimal(s.guestClocksource.kvmclockVsDPpb, 3)} ppb against the guest's raw clock)`}`,
    `  a legacy master-clock re-snapshot now steps the guest clock by ${signed(s.resnapshotStepNs)} ns;`,
    `  the continuous variant would set kvmclock_offset to ${g(s.continuousKvmclockOffset)} and step it by 0`,
  ].join('\n');
}
