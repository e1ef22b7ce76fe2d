/** `kvmclock hotplug`: the kvmclock step a vCPU hotplug causes after long uptimes. */
import { formatDurationNs } from '../../duration.js';
import { kvmclock } from '../../index.js';
import { hotplugSteps } from '../../scenario/hotplug.js';
import type { CliCommand } from '../command.js';
import { toJson } from '../json.js';
import { backendOption, kernelOption, khzOption, parseOptions, reachOption, vendorOption } from '../options.js';
import { writeLines, writeStdout } from '../stream-writer.js';
import { groupDigits, tableLines } from '../table.js';

const HELP = `usage: kvmclock hotplug [--host-khz N] [--guest-khz N] [--vendor vmx|svm] [--elapsed LIST]
                        [--kernel PROFILE[,PROFILE…]] [--json] [--backend wasm|reference]

  --host-khz N         host TSC kHz (default 2500000)
  --guest-khz N        guest TSC kHz, KVM_SET_TSC_KHZ (default 1000000)
  --vendor vmx|svm     default vmx
  --elapsed LIST       times since the master clock was taken (default 1d,7d,30d,90d)
  --kernel LIST        kernel profiles (default 6.18): one table (JSON line) each

A VM on the standard reference gets a vCPU hotplugged --elapsed after its master clock was
taken. For each elapsed time: the step vCPU 0's kvmclock (B) takes at the hotplug under the
current kernel rule (a matched vCPU does not re-snapshot), under the legacy rule (every
hotplug re-snapshots: B snaps to A — unless keep-active-masterclock keeps the active
reference), and with a continuous re-snapshot.`;

export const hotplugCommand: CliCommand = {
  name: 'hotplug',
  async run(argv) {
    const { values } = parseOptions(argv, {
      'host-khz': { type: 'string' },
      'guest-khz': { type: 'string' },
      vendor: { type: 'string' },
      elapsed: { type: 'string' },
      kernel: { type: 'string' },
      json: { type: 'boolean' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const hostKhz = khzOption(values['host-khz'], '--host-khz', 2_500_000);
    const guestKhz = khzOption(values['guest-khz'], '--guest-khz', 1_000_000);
    const vendor = vendorOption(values.vendor);
    const elapsed = (values.elapsed ?? '1d,7d,30d,90d').split(',').map((d, i) => reachOption(d.trim(), `--elapsed[${i}]`, hostKhz, '--host-khz'));
    const kernels = kernelOption(values.kernel);
    const api = kvmclock(backendOption(values.backend));
    const runs = kernels.map((kernel) => ({ kernel, steps: hotplugSteps(api, { hostKhz, guestKhz, vendor, kernel }, elapsed) }));
    if (values.json) {
      await writeStdout(`${runs.map((r) => toJson({ hostKhz, guestKhz, vendor, ...(values.kernel === undefined ? {} : { kernel: r.kernel.name }), steps: r.steps })).join('\n')}\n`);
      return 0;
    }
    const sgn = (v: bigint) => (v > 0n ? `+${groupDigits(v)}` : groupDigits(v));
    const lines: string[] = [];
    for (const { kernel, steps } of runs) {
      if (lines.length > 0) lines.push('');
      lines.push(
        `${groupDigits(hostKhz)} kHz ${vendor} host, ${groupDigits(guestKhz)} kHz guest${values.kernel === undefined ? '' : `, kernel ${kernel.name}`}: kvmclock step of vCPU 0 at a vCPU hotplug (ns)`,
        '',
        ...tableLines(
          ['elapsed', 'B − A before', 'current rule', 'legacy rule', 'continuous'],
          steps.map((s) => [formatDurationNs(s.elapsedNs), sgn(s.bMinusANs), sgn(s.currentRuleStepNs), sgn(s.legacyStepNs), sgn(s.continuousStepNs)]),
        ),
      );
    }
    await writeLines(writeStdout, lines);
    return 0;
  },
};
