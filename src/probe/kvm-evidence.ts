/**
 * Is this a guest of KVM's clock? Decided by what the probe's checks rely on — a pvclock
 * record mapped for vCPU 0 whose scale is one KVM writes, and the kvm-clock clocksource
 * (registered at boot through KVM's clock MSRs, available, current) — not by the CPUID
 * hypervisor signature: a VMM may present another signature (or the kernel may name
 * another hypervisor) and still give the guest KVM's clock. The signature and the kernel's
 * "Hypervisor detected" line are kept as information.
 */
import type { BootLog } from './boot-log.js';
import type { KhzRange } from './host-khz.js';

/** The signs of KVM's clock on this guest (null: that source could not be read). */
export interface KvmClockEvidence {
  /** Where the record was read: the vDSO's vvar_vclock page (or "file" when a test plays the host). */
  readonly pvclockPage: string | null;
  /** The record's scale is one KVM writes: the host tgt_tsc_khz giving exactly this mul/shift was recovered. */
  readonly scaleFromKvm: boolean;
  /** The boot log has kvm-clock's registration line (null: no boot log). */
  readonly kvmClockRegistered: boolean | null;
  /** The boot log says kvm-clock uses KVM's clock MSRs (null: no boot log). */
  readonly kvmClockMsrs: boolean | null;
  /** kvm-clock is among the available clocksources (null: not known). */
  readonly kvmClockAvailable: boolean | null;
  /** kvm-clock is the current clocksource (null: not known). */
  readonly kvmClockCurrent: boolean | null;
  /** Information only: the CPUID hypervisor signature ("-": none) … */
  readonly cpuidSignature: string | null;
  /** … and what the kernel's "Hypervisor detected" line names. */
  readonly kernelHypervisor: string | null;
  /** KVM's clock is here: besides the record being read at all, at least one sign of it agrees. */
  readonly kvmClock: boolean;
}

/** KVM's own CPUID signature. */
export const KVM_SIGNATURE = 'KVMKVMKVM';

/** Where the evidence comes from. */
export interface EvidenceInputs {
  readonly pvclockPage: string | null;
  readonly hostKhz: KhzRange | null;
  readonly log: BootLog | null;
  readonly available: readonly string[] | null;
  readonly current: string | null;
  readonly cpuidSignature: string | null;
}

/** The evidence for KVM's clock on this guest. */
export function kvmClockEvidence(x: EvidenceInputs): KvmClockEvidence {
  const kvmClockRegistered = x.log === null ? null : x.log.clocksources.some((c) => c.name === 'kvm-clock');
  const kvmClockMsrs = x.log === null ? null : x.log.kvmClockMsrs !== null;
  const kvmClockAvailable = x.available === null ? null : x.available.includes('kvm-clock');
  const kvmClockCurrent = x.current === null ? null : x.current === 'kvm-clock';
  const others = [x.hostKhz !== null, kvmClockRegistered, kvmClockMsrs, kvmClockAvailable, kvmClockCurrent];
  return {
    pvclockPage: x.pvclockPage,
    scaleFromKvm: x.hostKhz !== null,
    kvmClockRegistered,
    kvmClockMsrs,
    kvmClockAvailable,
    kvmClockCurrent,
    cpuidSignature: x.cpuidSignature,
    kernelHypervisor: x.log?.hypervisorDetected ?? null,
    kvmClock: others.some((v) => v === true),
  };
}

/** The signs of KVM's clock, in words ("pvclock record mapped ([vvar_vclock])", …), and the informational part. */
export function evidenceText(e: KvmClockEvidence): { readonly signs: string; readonly info: string } {
  const signs: string[] = [];
  if (e.pvclockPage !== null) signs.push(`pvclock record mapped (${e.pvclockPage === 'file' ? 'from a file' : `[${e.pvclockPage}]`})`);
  signs.push(e.scaleFromKvm ? 'its scale is one KVM writes' : 'its scale is not one KVM writes from a kHz frequency');
  const say = (v: boolean | null, yes: string, no: string) => {
    if (v !== null) signs.push(v ? yes : no);
  };
  say(e.kvmClockMsrs, 'kvm-clock uses KVM’s clock MSRs (boot log)', 'no kvm-clock MSR line in the boot log');
  say(e.kvmClockRegistered, 'kvm-clock registered (boot log)', 'no kvm-clock registration in the boot log');
  say(e.kvmClockAvailable, 'kvm-clock available', 'kvm-clock not available');
  if (e.kvmClockCurrent === true) signs.push('kvm-clock current'); // not being current is no sign against KVM's clock
  const sig = e.cpuidSignature === null || e.cpuidSignature === '-' ? 'no CPUID hypervisor signature' : `CPUID hypervisor signature ${e.cpuidSignature}${e.cpuidSignature.startsWith(KVM_SIGNATURE) ? '' : ` (not KVM’s ${KVM_SIGNATURE})`}`;
  const kernel = e.kernelHypervisor === null ? '' : `; the kernel logged "Hypervisor detected: ${e.kernelHypervisor}"`;
  return { signs: signs.join(', '), info: `${sig}${kernel} — information only: the checks rely on the pvclock record and the kvm-clock clocksource` };
}
