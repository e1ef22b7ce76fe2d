/** Charts of a migration comparison: the guest's KVM clock error across the migration, per method. */
import type { MigrationReport } from '../scenario/migration.js';
import type { Chart } from './render.js';

const NS_PER_US = 1e3;

/** Where the bars of the log-scale chart start: below the smallest value drawn (1 ns). */
const BAR_BASE_NS = 0.5;

/** A row of an error-after-resume chart: one method's error (µs) at a number of minutes after resume. */
export interface ErrorAfterResumeRow {
  readonly method: string;
  readonly minutes: number;
  readonly errorUs: number;
}

/**
 * One panel per method (in the rows' order), each with its own scale: a clock's error (µs)
 * over the time after resume, drawn as steps. Used for kvmclock B and for Windows's H.
 */
export function errorAfterResumeSpec(rows: readonly ErrorAfterResumeRow[], labelLimit: number): Chart['spec'] {
  return {
    data: { values: rows },
    facet: { row: { field: 'method', type: 'nominal', title: null, sort: null, header: { labelAngle: 0, labelAlign: 'left', labelLimit } } },
    spec: {
      width: 560,
      height: 70,
      mark: { type: 'line', point: { size: 10 }, interpolate: 'step-after' },
      encoding: {
        x: { field: 'minutes', type: 'quantitative', title: 'minutes since resume' },
        y: { field: 'errorUs', type: 'quantitative', title: 'error (µs)', scale: { zero: false } },
        tooltip: [{ field: 'method' }, { field: 'minutes' }, { field: 'errorUs' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** The charts for one `kvmclock migrate` run. */
export function migrationCharts(r: MigrationReport): Chart[] {
  const c = r.config;
  const downtimeS = Number(c.downtimeNs) / 1e9;
  const rows: ErrorAfterResumeRow[] = [];
  for (const m of r.results) {
    const label = `${m.method.toUpperCase()} ${m.name}`;
    for (const [dt, err] of m.errorSeries) rows.push({ method: label, minutes: Number(dt) / 6e10, errorUs: Number(err) / NS_PER_US });
  }
  const atResume = r.results.map((m) => ({ method: m.method.toUpperCase(), errorNs: Number(m.kvmclockErrorNs), abs: Math.max(1, Math.abs(Number(m.kvmclockErrorNs))) }));
  return [
    {
      name: 'migration-clock-error',
      title: 'Guest KVM clock error after the migration, per method',
      caption: `B minus the ideal (the source's pvclock line continued through the downtime), vCPU 0, over the hour after the guest resumes. The VM was paused after ${c.uptimeNs / 3_600_000_000_000n} h since its last master-clock reference and resumed ${downtimeS} s later. Each panel has its own scale (µs): exact integer ns, drawn in µs.`,
      spec: errorAfterResumeSpec(rows, 360),
    },
    {
      name: 'migration-error-at-resume',
      title: 'KVM clock error at resume, by method',
      caption: `Absolute error of the guest KVM clock at the resume instant (log scale; an error of 0 is drawn at 1 ns, and every bar starts at ${BAR_BASE_NS} ns so that it has a length). The sign is in the table.`,
      spec: {
        width: 480,
        height: 220,
        data: { values: atResume },
        mark: 'bar',
        encoding: {
          y: { field: 'method', type: 'nominal', title: null },
          // A log scale has no 0: bars drawn from the default zero baseline have no length at all.
          x: { field: 'abs', type: 'quantitative', scale: { type: 'log', domainMin: BAR_BASE_NS }, title: '|error| (ns)', axis: { format: '~s' } },
          x2: { datum: BAR_BASE_NS },
          tooltip: [{ field: 'method' }, { field: 'errorNs', title: 'error (ns)' }],
        },
      },
    },
  ];
}
