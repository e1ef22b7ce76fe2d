/** Charts of a migration comparison: the guest's KVM clock error across the migration, per method. */
import type { MigrationReport } from '../scenario/migration.js';
import type { Chart } from './render.js';

const NS_PER_MS = 1e6;

/** The charts for one `kvmclock migrate` run. */
export function migrationCharts(r: MigrationReport): Chart[] {
  const c = r.config;
  const downtimeS = Number(c.downtimeNs) / 1e9;
  const rows: { method: string; t: number; errorMs: number }[] = [];
  for (const m of r.results) {
    const label = m.method.toUpperCase();
    // On the source the guest is on the ideal line until the pause (error 0).
    rows.push({ method: label, t: -60, errorMs: 0 }, { method: label, t: 0, errorMs: 0 });
    for (const [dt, err] of m.errorSeries) rows.push({ method: label, t: downtimeS + Number(dt) / 1e9, errorMs: Number(err) / NS_PER_MS });
  }
  const atResume = r.results.map((m) => ({ method: m.method.toUpperCase(), errorNs: Number(m.kvmclockErrorNs), abs: Math.max(1, Math.abs(Number(m.kvmclockErrorNs))) }));
  return [
    {
      name: 'migration-clock-error',
      title: 'Guest KVM clock error across the migration',
      caption: `B minus the ideal (the source's pvclock line continued through the downtime), vCPU 0. The VM is paused at t = 0 after ${c.uptimeNs / 3_600_000_000_000n} h since its last master-clock reference and resumes after ${downtimeS} s; lines are sampled over the hour after resume. Values are exact integers (ns) drawn in ms.`,
      spec: {
        width: 720,
        height: 320,
        data: { values: rows },
        mark: { type: 'line', point: true, interpolate: 'step-after' },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'time since the pause (s)', scale: { type: 'symlog' } },
          y: { field: 'errorMs', type: 'quantitative', title: 'KVM clock error (ms)' },
          color: { field: 'method', type: 'nominal', title: 'method' },
          tooltip: [{ field: 'method' }, { field: 't' }, { field: 'errorMs' }],
        },
      },
    },
    {
      name: 'migration-error-at-resume',
      title: 'KVM clock error at resume, by method',
      caption: 'Absolute error of the guest KVM clock at the resume instant (log scale; 0 is drawn at 1 ns). The sign is in the table.',
      spec: {
        width: 480,
        height: 220,
        data: { values: atResume },
        mark: 'bar',
        encoding: {
          y: { field: 'method', type: 'nominal', title: null },
          x: { field: 'abs', type: 'quantitative', scale: { type: 'log' }, title: '|error| (ns)' },
          tooltip: [{ field: 'method' }, { field: 'errorNs', title: 'error (ns)' }],
        },
      },
    },
  ];
}
