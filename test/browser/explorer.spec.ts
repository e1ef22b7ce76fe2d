/// <reference lib="dom" />
/**
 * The drift explorer in Chromium: the page built by buildExplorer, opened from the file system
 * (and once from a static server), driven through its form. The numbers it displays are read
 * back and compared with `kvmclock clock --json` for the same point (and, for kernel profiles
 * the built CLI cannot select yet, with the library's clockSummary in Node); bad input must
 * show the library's typed error, never a NaN, and the page must recover.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExplorerInput, explore } from '../../src/explorer/compute.js';
import { buildExplorer } from '../../src/explorer/build.js';
import { kvmclock } from '../../src/index.js';
import { KernelProfile } from '../../src/kernel/profile.js';
import { clockSummary } from '../../src/model/clock-summary.js';
import { type Ratio, formatDecimal, reduce } from '../../src/rational.js';
import { type StaticServer, ROOT, chromiumSkipReason, directoryRoutes, displayedInteger, launchChromium, serve } from './harness.js';

/** The JSON of `kvmclock clock --json` (bigints as decimal strings), the fields the page shows. */
interface ClockJson {
  kernel: { name: string };
  vcpu: { ratio: string; tgtTscKhz: string; record: { tscToSystemMul: number; tscShift: number } };
  hostClock: { mul: number; shift: number; viaGuestTsc: boolean };
  a: string;
  b: string;
  c: string;
  d: string | null;
  bMinusA: string;
  cMinusA: string;
  bMinusC: string;
  bMinusD: string | null;
  getClock: { clock: string };
  resnapshotStepNs: string;
  continuousKvmclockOffset: string;
  ratePpb: Record<'bMinusA' | 'cMinusA' | 'bMinusC', JsonRatio>;
  guestClocksource: { kvmclockVsDPpb: JsonRatio } | null;
  guests: {
    windows: { units: string; minusBUnits: string; ratePpb: Record<'vsB' | 'vsNominal' | 'vsA', JsonRatio> | null };
    xen: { leaf: { eax: number; ecx: number; edx: number } | null };
  };
}
type JsonRatio = { num: string; den: string };

const CLI = join(ROOT, 'bin/kvmclock.js');
const cliHelp = (() => {
  try {
    return execFileSync(process.execPath, [CLI, 'clock', '--help'], { encoding: 'utf8' });
  } catch {
    return '';
  }
})();
/** Whether the built CLI takes --kernel (then every profile is compared with the CLI). */
const CLI_HAS_KERNEL = /--kernel\b/.test(cliHelp);

function cliClock(input: ExplorerInput, kernel: string): ClockJson {
  const args = [CLI, 'clock', '--host-khz', input.hostKhz, '--guest-khz', input.guestKhz, '--vendor', input.vendor, '--at', input.horizon, '--json'];
  if (kernel !== '6.18') args.push('--kernel', kernel);
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })) as ClockJson;
}

/** The same fields from the library in this process (for profiles the CLI cannot select yet). */
function libraryClock(input: ExplorerInput, kernel: string): ClockJson {
  const s = clockSummary(
    kvmclock('wasm'),
    { hostKhz: Number(input.hostKhz), guestKhz: Number(input.guestKhz), vendor: input.vendor as 'vmx' | 'svm', kernel: KernelProfile.parse(kernel) },
    explore({ ...input, kernels: kernel }).horizonNs,
  );
  return JSON.parse(JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as ClockJson;
}

const ratio = (r: JsonRatio): Ratio => ({ num: BigInt(r.num), den: BigInt(r.den) });
const exact = (r: JsonRatio) => {
  const x = reduce(ratio(r));
  return x.den === 1n ? `${x.num}` : `${x.num}/${x.den}`;
};
const s64 = (x: bigint) => BigInt.asIntN(64, x).toString();

/** What the page must display for one profile, by data-field (normalised: no grouping, no +). */
function expectedCells(j: ClockJson, guest: string): Record<string, string> {
  const out: Record<string, string> = {
    ratio: j.vcpu.ratio,
    tgtTscKhz: j.vcpu.tgtTscKhz,
    pvclock: `${j.vcpu.record.tscToSystemMul};${j.vcpu.record.tscShift}`,
    hostClock: `${j.hostClock.mul};${j.hostClock.shift}${j.hostClock.viaGuestTsc ? '(C′)' : ''}`,
    a: j.a,
    b: j.b,
    c: j.c,
    bMinusA: j.bMinusA,
    cMinusA: j.cMinusA,
    bMinusC: j.bMinusC,
    getClockMinusB: s64(BigInt(j.getClock.clock) - BigInt(j.b)),
    resnapshotStepNs: j.resnapshotStepNs,
    continuousKvmclockOffset: j.continuousKvmclockOffset,
  };
  for (const k of ['bMinusA', 'cMinusA', 'bMinusC'] as const) {
    out[`rate.${k}`] = formatDecimal(ratio(j.ratePpb[k]), 3);
    out[`exact.${k}`] = exact(j.ratePpb[k]);
    out[`perDay.${k}`] = formatDecimal({ num: ratio(j.ratePpb[k]).num * 86_400n, den: ratio(j.ratePpb[k]).den }, 1);
  }
  if (guest === 'linux') {
    if (j.d !== null) out.d = j.d;
    if (j.bMinusD !== null) out.bMinusD = j.bMinusD;
    if (j.guestClocksource !== null) {
      out['rate.kvmclockVsD'] = formatDecimal(ratio(j.guestClocksource.kvmclockVsDPpb), 3);
      out['exact.kvmclockVsD'] = exact(j.guestClocksource.kvmclockVsDPpb);
    }
  }
  if (guest === 'windows') {
    out.h = j.guests.windows.units;
    out.hMinusBUnits = j.guests.windows.minusBUnits;
    const r = j.guests.windows.ratePpb;
    if (r !== null) {
      for (const [k, v] of [
        ['hVsB', r.vsB],
        ['hVsNominal', r.vsNominal],
        ['hVsA', r.vsA],
      ] as const) {
        out[`rate.${k}`] = formatDecimal(ratio(v), 3);
        out[`exact.${k}`] = exact(v);
      }
    }
  }
  if (guest === 'xen' && j.guests.xen.leaf !== null) {
    out.xenKhz = String(j.guests.xen.leaf.eax);
    out.xenMul = String(j.guests.xen.leaf.ecx);
    out.xenShift = String(j.guests.xen.leaf.edx | 0);
  }
  return out;
}

/** A displayed cell, normalised like expectedCells. */
function normalise(field: string, text: string): string {
  if (field === 'pvclock' || field === 'hostClock') return text.split(', ').map((part) => displayedInteger(part).replace(/\s/g, '')).join(';');
  if (field.startsWith('exact.')) return text.replace(/\s/g, '');
  if (field.startsWith('rate.') || field.startsWith('perDay.')) return text.trim().replace(/,/g, '').replace(/^\+/, '');
  return displayedInteger(text);
}

/** Points across vendors, profiles, horizons, guest kinds and scaling regimes. */
const CASES: readonly ExplorerInput[] = [
  { hostKhz: '2500000', guestKhz: '1000000', vendor: 'vmx', kernels: '6.18,7.4-queued,clocks-v6', horizon: '1d', guest: 'linux' },
  { hostKhz: '2500000', guestKhz: '1000000', vendor: 'svm', kernels: '6.18,clocks-v6', horizon: '1d', guest: 'windows' },
  { hostKhz: '3000000', guestKhz: '2400000', vendor: 'vmx', kernels: '6.18,7.4-queued+hz-pvclock', horizon: '30d', guest: 'xen' },
  { hostKhz: '2100000', guestKhz: '2100100', vendor: 'vmx', kernels: '6.18,7.4-queued', horizon: '1h', guest: 'linux' },
  { hostKhz: '1999999', guestKhz: '3500000', vendor: 'svm', kernels: '6.18,clocks-v6', horizon: '1y', guest: 'windows' },
  { hostKhz: '3700000', guestKhz: '1234567', vendor: 'svm', kernels: '6.18,7.4-queued,clocks-v6', horizon: '7d', guest: 'linux' },
  { hostKhz: '2899999', guestKhz: '2899999', vendor: 'vmx', kernels: '6.18,clocks-v6-set-clock-guest-v6', horizon: '12h', guest: 'xen' },
  { hostKhz: '4000000', guestKhz: '1000', vendor: 'vmx', kernels: '6.18,7.4-queued', horizon: '90m', guest: 'windows' },
  { hostKhz: '2200000', guestKhz: '2500000', vendor: 'svm', kernels: '6.18', horizon: '100d', guest: 'linux' },
  { hostKhz: '1000000', guestKhz: '2000000', vendor: 'vmx', kernels: '7.4-queued,clocks-v6', horizon: '3600', guest: 'linux' },
  { hostKhz: '2600000', guestKhz: '1800000', vendor: 'svm', kernels: 'clocks-v6,7.4-queued+hz-pvclock', horizon: '30d', guest: 'windows' },
];

describe.skipIf(chromiumSkipReason !== null)('drift explorer in Chromium', () => {
  let dir: string;
  let url: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvmclock-explorer-'));
    const built = await buildExplorer(dir);
    url = pathToFileURL(built.index).href;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.run !== undefined, null, { timeout: 60_000 });
    if (!CLI_HAS_KERNEL) process.stderr.write('explorer: the built CLI has no --kernel yet: profiles other than 6.18 are compared with clockSummary in Node\n');
  });

  afterAll(async () => {
    await browser?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Fill the form, wait until the page has recomputed, and say how it ended. */
  async function setInputs(input: ExplorerInput): Promise<'ok' | 'error'> {
    const before = Number(await page.evaluate(() => document.body.dataset.run));
    await page.fill('#host-khz', input.hostKhz);
    await page.fill('#guest-khz', input.guestKhz);
    await page.selectOption('#vendor', input.vendor);
    await page.fill('#kernels', input.kernels);
    await page.fill('#horizon', input.horizon);
    await page.selectOption('#guest', input.guest);
    await page.waitForFunction((n) => document.body.dataset.pending === undefined && Number(document.body.dataset.run) > n, before, { timeout: 30_000 });
    return (await page.evaluate(() => document.body.dataset.state)) as 'ok' | 'error';
  }

  /** Every displayed value cell: kernel → field → text. */
  async function displayed(): Promise<Record<string, Record<string, string>>> {
    return page.evaluate(() => {
      const out: Record<string, Record<string, string>> = {};
      for (const td of Array.from(document.querySelectorAll<HTMLElement>('#results td[data-field]'))) {
        const k = td.dataset.kernel as string;
        (out[k] ??= {})[td.dataset.field as string] = td.textContent ?? '';
      }
      return out;
    });
  }

  const bodyText = () => page.evaluate(() => document.body.innerText + document.getElementById('results')!.innerHTML);

  it(`shows the CLI's numbers for ${CASES.reduce((n, c) => n + c.kernels.split(',').length, 0)} points (profile columns) across vendors, profiles and guests`, async () => {
    let compared = 0;
    let viaCli = 0;
    let fields = 0;
    const mismatches: string[] = [];
    for (const input of CASES) {
      expect(await setInputs(input), JSON.stringify(input)).toBe('ok');
      const shown = await displayed();
      for (const kernel of input.kernels.split(',')) {
        const useCli = kernel === '6.18' || CLI_HAS_KERNEL;
        const j = useCli ? cliClock(input, kernel) : libraryClock(input, kernel);
        viaCli += useCli ? 1 : 0;
        const want = expectedCells(j, input.guest);
        const got = shown[kernel] ?? {};
        for (const [field, value] of Object.entries(want)) {
          fields++;
          const text = got[field];
          if (text === undefined) mismatches.push(`${kernel} ${JSON.stringify(input)}: ${field} not displayed`);
          else if (normalise(field, text) !== value) mismatches.push(`${kernel} ${JSON.stringify(input)}: ${field} shows ${JSON.stringify(text)}, want ${value}`);
        }
        compared++;
      }
      const text = await bodyText();
      expect(text).not.toMatch(/NaN|undefined|Infinity/);
    }
    process.stderr.write(`explorer: ${compared} points compared (${viaCli} with kvmclock clock --json, ${compared - viaCli} with clockSummary), ${fields} displayed values, ${mismatches.length} mismatches\n`);
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(20);
    expect(fields).toBeGreaterThan(compared * 20);
    expect(pageErrors).toEqual([]);
  });

  it('shows the migration methods as the library computes them, and one chart per profile', async () => {
    const input = CASES[0];
    expect(await setInputs(input)).toBe('ok');
    const shown = await displayed();
    const x = explore(input);
    for (const column of x.columns) {
      for (const r of column.migration ?? []) {
        for (const k of ['kvmclockErrorNs', 'tscErrorCycles', 'resumeStepNs'] as const) {
          const text = shown[column.kernel.name][`mig.${r.method}.${k}`];
          expect(displayedInteger(text.replace(' *', '')), `${column.kernel.name} ${r.method} ${k}`).toBe(r[k].toString());
        }
      }
      expect(column.migration?.length).toBe(6);
    }
    const charts = await page.evaluate(() => ({
      divergence: Array.from(document.querySelectorAll<HTMLElement>('figure[data-chart="divergence"]')).map((f) => f.dataset.kernel),
      paths: document.querySelectorAll('figure[data-chart] path').length,
      svg: Array.from(document.querySelectorAll('figure[data-chart] svg')).map((s) => s.outerHTML).join(''),
    }));
    expect(charts.divergence).toEqual(['6.18', '7.4-queued', 'clocks-v6']);
    expect(charts.paths).toBe(3 * 3 + 3);
    expect(charts.svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  const BASE = CASES[0];
  const BAD: readonly (readonly [string, Partial<ExplorerInput>, string, RegExp])[] = [
    ['a host of 0 kHz', { hostKhz: '0' }, '#host-khz', /^ArgumentRangeError \(range\):$/],
    ['a host beyond u32', { hostKhz: '4294967296' }, '#host-khz', /^ArgumentRangeError \(range\):$/],
    ['an empty host field', { hostKhz: '' }, '#host-khz', /^ArgumentTypeError \(type\):$/],
    ['a guest of 0 kHz', { guestKhz: '0' }, '#guest-khz', /^ArgumentRangeError \(range\):$/],
    ['a guest beyond u32', { guestKhz: '99999999999' }, '#guest-khz', /^ArgumentRangeError \(range\):$/],
    ['an empty guest field', { guestKhz: '' }, '#guest-khz', /^ArgumentTypeError \(type\):$/],
    ['a guest at max_guest_tsc_khz (SVM)', { vendor: 'svm', guestKhz: '3000000000' }, '#guest-khz', /^KernelRuleError \(EINVAL\):$/],
    ['an empty kernel field', { kernels: '' }, '#kernels', /^KernelProfileError \(profile\):$/],
    ['an unknown kernel profile', { kernels: '6.18,6.19' }, '#kernels', /^KernelProfileError \(profile\):$/],
    ['an empty horizon', { horizon: '' }, '#horizon', /^ArgumentTypeError \(type\):$/],
    ['a horizon beyond the u64 host TSC', { horizon: '1000000y' }, '#horizon', /^ArgumentRangeError \(range\):$/],
  ];

  for (const [what, change, fieldId, name] of BAD) {
    it(`shows the library's typed error for ${what}, no numbers and no NaN, and recovers`, async () => {
      const input = { ...BASE, ...change };
      let expected: Error | undefined;
      try {
        explore(input);
      } catch (e) {
        expected = e as Error;
      }
      expect(expected, 'the library refuses this input').toBeDefined();
      expect(await setInputs(input)).toBe('error');
      const shown = await page.evaluate((id) => ({
        visible: !document.getElementById('error')!.hidden,
        name: document.getElementById('error-name')!.textContent,
        message: document.getElementById('error-message')!.textContent,
        code: document.getElementById('error')!.dataset.code,
        resultsHidden: document.getElementById('results')!.hidden,
        invalid: document.querySelector(id)!.getAttribute('aria-invalid'),
        text: document.body.innerText,
      }), fieldId);
      expect(shown.visible).toBe(true);
      expect(shown.message).toBe(expected!.message);
      expect(shown.code).toBe((expected as { code?: string }).code);
      expect(shown.name).toMatch(name);
      expect(shown.resultsHidden).toBe(true);
      expect(shown.invalid).toBe('true');
      expect(shown.text).not.toMatch(/NaN|InternalError/);
      // Still alive: a good value brings the numbers back.
      expect(await setInputs(BASE)).toBe('ok');
      const recovered = await displayed();
      expect(displayedInteger(recovered['6.18'].b)).toBe(cliClock(BASE, '6.18').b);
      expect(await page.evaluate(() => document.getElementById('error')!.hidden)).toBe(true);
    });
  }

  it('draws a zero horizon without NaN', async () => {
    expect(await setInputs({ ...BASE, horizon: '0' })).toBe('ok');
    expect(await bodyText()).not.toMatch(/NaN|Infinity/);
  });

  it('keeps its state in the address (a link reopens the same point)', async () => {
    const input = CASES[1];
    await setInputs(input);
    const href = await page.evaluate(() => location.href);
    const other = await browser.newPage();
    await other.goto(href);
    await other.waitForFunction(() => document.body.dataset.run !== undefined);
    const values = await other.evaluate(() => ['host-khz', 'guest-khz', 'vendor', 'kernels', 'horizon', 'guest'].map((id) => (document.getElementById(id) as HTMLInputElement).value));
    expect(values).toEqual([input.hostKhz, input.guestKhz, input.vendor, input.kernels, input.horizon, input.guest]);
    await other.close();
  });

  it('works from a static server as from the file system', async () => {
    let server: StaticServer | undefined;
    const other = await browser.newPage();
    try {
      server = await serve(directoryRoutes(dir));
      await other.goto(`${server.origin}/`);
      await other.waitForFunction(() => document.body.dataset.run !== undefined, null, { timeout: 60_000 });
      expect(await other.evaluate(() => document.body.dataset.state)).toBe('ok');
      const b = await other.evaluate(() => document.querySelector<HTMLElement>('td[data-field="b"][data-kernel="6.18"]')?.textContent ?? '');
      expect(displayedInteger(b)).toBe(cliClock(BASE, '6.18').b);
    } finally {
      await other.close();
      await server?.close();
    }
  });
});
