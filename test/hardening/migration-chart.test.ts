/**
 * Finding 3 of the hardening audit: `migrate --plot` drew its error-at-resume chart with
 * bars of zero width (a log-scale bar from a zero baseline) and an axis without ticks.
 * Rendered here and read back from the SVG: every bar has a positive width, longer for a
 * larger error, and the axis is labelled.
 */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { migrationCharts } from '../../src/plot/migration-charts.js';
import { renderSvg } from '../../src/plot/render.js';
import { compareMigrationMethods, type MigrationConfig } from '../../src/scenario/migration.js';

const config: MigrationConfig = {
  src: { tscKhz: 2_500_000, vendor: 'vmx' },
  dst: { tscKhz: 2_500_000, vendor: 'vmx' },
  guestKhz: 1_000_000,
  vcpus: 2,
  uptimeNs: 86_400_000_000_000n,
  downtimeNs: 300_000_000n,
  syncErrorNs: 50_000n,
  vcpuGapNs: 10_000n,
  dstNoMasterClock: false,
  liveUpdate: false,
};

/** The bars of a Vega SVG: their label and the width of their path (M x,y h W v H h -W Z). */
function bars(svg: string): { label: string; width: number }[] {
  return [...svg.matchAll(/<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="bar" d="M[-\d.e]+,[-\d.e]+h([-\d.e]+)v/g)].map((m) => ({ label: m[1], width: Number(m[2]) }));
}

describe('migrate --plot: KVM clock error at resume', () => {
  it('draws one bar per method, each with a positive width that grows with the error, on a labelled axis', async () => {
    const report = compareMigrationMethods(kvmclock('wasm'), config);
    const chart = migrationCharts(report).find((c) => c.name === 'migration-error-at-resume');
    expect(chart).toBeDefined();
    const svg = await renderSvg(chart!.spec);
    const drawn = bars(svg);
    expect(drawn).toHaveLength(report.results.length);
    for (const b of drawn) expect(b.width, b.label).toBeGreaterThan(0);
    // Larger |error| → longer bar (log scale, monotonic).
    const byError = report.results.map((r, i) => ({ abs: Math.max(1, Math.abs(Number(r.kvmclockErrorNs))), width: drawn[i].width })).sort((a, b) => a.abs - b.abs);
    for (let i = 1; i < byError.length; i++) {
      if (byError[i].abs > byError[i - 1].abs) expect(byError[i].width).toBeGreaterThan(byError[i - 1].width);
    }
    // The axis has tick labels (powers of ten), not just its title.
    const ticks = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(ticks).toContain('1');
    expect(ticks.filter((t) => /^(1|10|100)(k|M)?$/.test(t)).length).toBeGreaterThanOrEqual(4);
  });
});
