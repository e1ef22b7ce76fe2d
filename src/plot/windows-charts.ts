/**
 * Charts of a Windows guest across a migration (`kvmclock migrate --guest windows --plot`):
 * the step of clock H (the Hyper-V reference time) the guest sees at resume, per method,
 * against the downtime it should have seen; and H's error against the ideal over the hour
 * after resume. Nothing is drawn for a Linux guest.
 */
import type { MigrationReport } from '../scenario/migration.js';
import { type ErrorAfterResumeRow, errorAfterResumeSpec } from './migration-charts.js';
import type { Chart } from './render.js';

const NS_PER_MS = 1e6;
/** One H unit is 100 ns; the charts draw µs (error) and ms (step). */
const UNITS_PER_US = 10;

/** The charts for one `kvmclock migrate --guest windows` run (none without a Windows guest). */
export function windowsMigrationCharts(r: MigrationReport): Chart[] {
  if (r.windows === undefined) return [];
  const c = r.config;
  const downtimeMs = Number(c.downtimeNs) / NS_PER_MS;
  const readFrom = (m: MigrationReport['results'][number]) => {
    const w = m.windows;
    if (w === undefined) return 'not measured';
    return w.source === 'page' ? 'reference TSC page' : `MSR ⌊${w.kvmclockDefinition}/100⌋ (page ${w.page.status.toUpperCase()})`;
  };
  const steps = r.results.map((m) => ({
    method: `${m.method.toUpperCase()} ${m.name}`,
    stepMs: Number(m.windows?.stepNs ?? 0n) / NS_PER_MS,
    stepUnits: String(m.windows?.stepUnits ?? 0n),
    readFrom: readFrom(m),
  }));
  const rows: ErrorAfterResumeRow[] = [];
  for (const m of r.results) {
    const label = `${m.method.toUpperCase()}: ${readFrom(m)}`;
    for (const [dt, units] of m.windows?.errorSeries ?? []) rows.push({ method: label, minutes: Number(dt) / 6e10, errorUs: Number(units) / UNITS_PER_US });
  }
  const where = c.liveUpdate ? `a live update on a ${c.src.tscKhz} kHz host` : `${c.src.tscKhz} → ${c.dst.tscKhz} kHz${c.dstNoMasterClock ? ' (destination without a master clock)' : ''}`;
  return [
    {
      name: 'windows-reference-step',
      title: 'What a Windows guest sees at resume: the step of the Hyper-V reference time, per method',
      caption: `H at resume minus the last H the guest read before the pause (vCPU 0, exact 100 ns units drawn in ms), ${where}, guest ${c.guestKhz} kHz, after ${c.uptimeNs / 3_600_000_000_000n} h since the last master-clock reference. The dashed line is the downtime (${downtimeMs} ms), the step an ideal migration gives; a bar left of zero is the reference time going backwards. The colour says where the guest reads H after resume.`,
      spec: {
        width: 520,
        height: 220,
        data: { values: steps },
        layer: [
          {
            mark: 'bar',
            encoding: {
              y: { field: 'method', type: 'nominal', title: null, sort: null, axis: { labelLimit: 640 } },
              x: { field: 'stepMs', type: 'quantitative', title: 'H step at resume (ms)' },
              color: { field: 'readFrom', type: 'nominal', title: 'H read from', legend: { orient: 'bottom', labelLimit: 320 } },
              tooltip: [{ field: 'method' }, { field: 'stepUnits', title: 'step (100 ns units)' }, { field: 'readFrom' }],
            },
          },
          { mark: { type: 'rule', strokeDash: [4, 3], color: '#444' }, encoding: { x: { datum: downtimeMs } } },
          { mark: { type: 'rule', color: '#999' }, encoding: { x: { datum: 0 } } },
        ],
      },
    },
    {
      name: 'windows-reference-error',
      title: 'Hyper-V reference time error after the migration, per method',
      caption: `H minus the ideal (the source's reference TSC page line continued at the ideal guest TSC), vCPU 0, over the hour after the guest resumes; exact 100 ns units drawn in µs. Each panel has its own scale; its label names the method (M0–M5 as in the table) and where the guest reads H (the page, or the reference-counter MSR when the page is BROKEN).`,
      spec: errorAfterResumeSpec(rows, 480),
    },
  ];
}
