/// <reference lib="dom" />
/**
 * The explorer page's script (bundled with the library into one classic script by build.ts):
 * reads the form, runs {@link explore} and renders the numbers, the charts and the migration
 * table. Input the library refuses shows the library's typed error instead of results.
 */
import { formatDurationNs } from '../duration.js';
import { isKvmclockError, wasmBatchEngine, wasmInfo } from '../index.js';
import { CHANGE_IDS } from '../kernel/changes.js';
import { PRESET_NAMES } from '../kernel/profile.js';
import { type Ratio, formatDecimal, reduce } from '../rational.js';
import { METHOD_NAMES } from '../scenario/migration.js';
import { type ChartSeries, escapeXml, lineChart } from './chart.js';
import { DEFAULT_INPUT, type Exploration, type ExplorerColumn, type ExplorerInput, explore } from './compute.js';

/** Each input of the form: its field in ExplorerInput and its element id. */
const FIELDS = [
  ['hostKhz', 'host-khz'],
  ['guestKhz', 'guest-khz'],
  ['vendor', 'vendor'],
  ['kernels', 'kernels'],
  ['horizon', 'horizon'],
  ['guest', 'guest'],
] as const satisfies readonly (readonly [keyof ExplorerInput, string])[];

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`explorer page: #${id} is missing`);
  return el as T;
};
const field = (id: string) => $<HTMLInputElement | HTMLSelectElement>(id);

/** Digits grouped by commas, with an explicit sign when asked. */
function grouped(v: bigint | number, signed = false): string {
  const s = String(v);
  const negative = s.startsWith('-');
  const digits = (negative ? s.slice(1) : s).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return negative ? `-${digits}` : signed && s !== '0' ? `+${digits}` : digits;
}

/** A rounded decimal with its integer part grouped like the integers. */
const decimal = (r: Ratio, digits: number) => {
  const text = formatDecimal(r, digits);
  const negative = text.startsWith('-'); // keeps "-0.500": the sign is not the integer part's
  const [int, frac] = (negative ? text.slice(1) : text).split('.');
  return `${negative ? '-' : ''}${grouped(BigInt(int))}${frac === undefined ? '' : `.${frac}`}`;
};

const fraction = (r: Ratio) => {
  const x = reduce(r);
  return x.den === 1n ? `${x.num}` : `${x.num} / ${x.den}`;
};

const SERIES_COLORS = { bMinusA: '#2457c5', cMinusA: '#1b8a5a', bMinusC: '#c2410c', hMinusB: '#7c3aed' } as const;
const PROFILE_COLORS = ['#2457c5', '#c2410c', '#1b8a5a', '#7c3aed', '#b91c1c', '#0e7490', '#a16207', '#4b5563'];

interface Row {
  readonly key: string;
  readonly label: string;
  readonly note?: string;
  readonly cell: (c: ExplorerColumn) => string;
  readonly kind?: 'num' | 'frac' | 'text';
}

function cells(x: Exploration, rows: readonly Row[]): string {
  const head = `<thead><tr><th></th>${x.columns.map((c) => `<th data-kernel="${escapeXml(c.kernel.name)}">${escapeXml(c.kernel.name)}<small>${escapeXml(c.kernel.changes.join(', ') || 'the v6.18 baseline')}</small></th>`).join('')}</tr></thead>`;
  const body = rows
    .map((r) => {
      const tds = x.columns.map((c) => `<td class="${r.kind ?? 'num'}" data-field="${r.key}" data-kernel="${escapeXml(c.kernel.name)}">${escapeXml(r.cell(c))}</td>`).join('');
      return `<tr><th class="row" scope="row">${escapeXml(r.label)}${r.note ? `<small>${escapeXml(r.note)}</small>` : ''}</th>${tds}</tr>`;
    })
    .join('');
  return `${head}<tbody>${body}</tbody>`;
}

function scalingText(c: ExplorerColumn): string {
  const s = c.summary;
  const set = s.vcpu.setTscKhz;
  if (s.vcpu.scaled) return 'hardware TSC scaling';
  if (!set.useScaling) return 'within tolerance: no scaling';
  return set.catchup ? 'software catch-up (no scaling)' : `ratio refused (rc ${set.rc})`;
}

function clockRows(x: Exploration): Row[] {
  const rows: Row[] = [
    { key: 'scaling', label: 'KVM_SET_TSC_KHZ', kind: 'text', cell: scalingText },
    { key: 'ratio', label: 'TSC scaling ratio', note: `2^${x.vendor === 'vmx' ? 48 : 32} = 1`, cell: (c) => grouped(c.summary.vcpu.ratio) },
    { key: 'tgtTscKhz', label: 'tgt_tsc_khz', note: 'the frequency the pvclock factors come from', cell: (c) => grouped(c.summary.vcpu.tgtTscKhz) },
    { key: 'pvclock', label: 'guest pvclock mul, shift (B)', cell: (c) => `${grouped(c.summary.vcpu.record.tscToSystemMul)}, ${c.summary.vcpu.record.tscShift}` },
    { key: 'hostClock', label: 'KVM clock mul, shift (C)', cell: (c) => `${grouped(c.summary.hostClock.mul)}, ${c.summary.hostClock.shift}${c.summary.hostClock.viaGuestTsc ? ' (C′)' : ''}` },
    { key: 'masterClock', label: 'master clock', kind: 'text', cell: (c) => (c.summary.master.inUse ? 'in use' : 'not in use') },
    { key: 'a', label: 'A  host raw clock + offsets', note: 'ns', cell: (c) => grouped(c.summary.a) },
    { key: 'b', label: 'B  guest pvclock read', note: 'ns', cell: (c) => grouped(c.summary.b) },
    { key: 'c', label: 'C  __get_kvmclock', note: 'ns', cell: (c) => grouped(c.summary.c) },
  ];
  if (x.guest === 'linux') {
    rows.push({ key: 'd', label: 'D  guest CLOCK_MONOTONIC_RAW', note: 'ns, on the tsc clocksource', cell: (c) => (c.summary.d === null ? 'no usable kHz' : grouped(c.summary.d)) });
  }
  if (x.guest === 'windows') {
    rows.push({ key: 'h', label: 'H  Windows reference time', note: '100 ns units', cell: (c) => grouped(c.summary.guests.windows.units) });
    rows.push({ key: 'hSource', label: 'H comes from', kind: 'text', cell: (c) => (c.summary.guests.windows.source === 'page' ? 'the reference TSC page' : `the MSR (no page: ${c.summary.guests.windows.page.valid ? '' : c.summary.guests.windows.page.reason})`) });
    rows.push({ key: 'tscFrequencyHz', label: 'HV_X64_MSR_TSC_FREQUENCY', note: 'Hz', cell: (c) => grouped(c.summary.guests.windows.tscFrequencyHz) });
  }
  if (x.guest === 'xen') {
    const leaf = (c: ExplorerColumn) => c.summary.guests.xen.leaf;
    rows.push({ key: 'xenKhz', label: 'Xen leaf 3.2 EAX: TSC kHz', cell: (c) => (leaf(c) === null ? 'none' : grouped(leaf(c)!.eax)) });
    rows.push({ key: 'xenMul', label: 'Xen leaf 3.1 ECX: mul', cell: (c) => (leaf(c) === null ? 'none' : grouped(leaf(c)!.ecx)) });
    rows.push({ key: 'xenShift', label: 'Xen leaf 3.1 EDX: shift', cell: (c) => (leaf(c) === null ? 'none' : String(leaf(c)!.edx | 0)) });
  }
  rows.push(
    { key: 'bMinusA', label: 'B − A', note: 'ns', cell: (c) => grouped(c.summary.bMinusA, true) },
    { key: 'cMinusA', label: 'C − A', note: 'ns', cell: (c) => grouped(c.summary.cMinusA, true) },
    { key: 'bMinusC', label: 'B − C', note: 'ns', cell: (c) => grouped(c.summary.bMinusC, true) },
  );
  if (x.guest === 'linux') rows.push({ key: 'bMinusD', label: 'B − D', note: 'ns', cell: (c) => (c.summary.bMinusD === null ? 'no D' : grouped(c.summary.bMinusD, true)) });
  if (x.guest === 'windows') rows.push({ key: 'hMinusBUnits', label: 'H − ⌊B/100⌋', note: '100 ns units', cell: (c) => grouped(c.summary.guests.windows.minusBUnits, true) });
  rows.push(
    { key: 'getClockMinusB', label: 'KVM_GET_CLOCK − B', note: 'what the VMM saves against what the guest reads, ns', cell: (c) => grouped(c.getClockMinusGuestNs, true) },
    { key: 'resnapshotStepNs', label: 'legacy re-snapshot step', note: 'ns, if the master clock is re-taken now', cell: (c) => grouped(c.summary.resnapshotStepNs, true) },
    { key: 'continuousKvmclockOffset', label: 'continuous re-snapshot kvmclock_offset', note: 'keeps B unchanged (step 0)', cell: (c) => grouped(c.summary.continuousKvmclockOffset) },
  );
  return rows;
}

function rateRows(x: Exploration): Row[] {
  const rate = (key: string, label: string, get: (c: ExplorerColumn) => Ratio | null, perDay = false): Row[] => [
    { key: `rate.${key}`, label, note: 'ppb', cell: (c) => (get(c) === null ? 'n/a' : decimal(get(c)!, 3)) },
    ...(perDay ? [{ key: `perDay.${key}`, label: '', note: 'ns per day', cell: (c: ExplorerColumn) => decimal({ num: get(c)!.num * 86_400n, den: get(c)!.den }, 1) }] : []),
    { key: `exact.${key}`, label: '', note: 'exact ppb', kind: 'frac' as const, cell: (c: ExplorerColumn) => (get(c) === null ? 'n/a' : fraction(get(c)!)) },
  ];
  const rows: Row[] = [
    ...rate('bMinusA', 'B against A', (c) => c.summary.ratePpb.bMinusA, true),
    ...rate('cMinusA', 'C against A', (c) => c.summary.ratePpb.cMinusA, true),
    ...rate('bMinusC', 'B against C', (c) => c.summary.ratePpb.bMinusC, true),
  ];
  if (x.guest === 'linux') rows.push(...rate('kvmclockVsD', 'kvm-clock (B) against D', (c) => c.summary.guestClocksource?.kvmclockVsDPpb ?? null));
  if (x.guest === 'windows') {
    rows.push(...rate('hVsB', 'H against B', (c) => c.summary.guests.windows.ratePpb?.vsB ?? null));
    rows.push(...rate('hVsNominal', 'H against the guest TSC at exactly its kHz', (c) => c.summary.guests.windows.ratePpb?.vsNominal ?? null));
    rows.push(...rate('hVsA', 'H against A', (c) => c.summary.guests.windows.ratePpb?.vsA ?? null));
  }
  return rows;
}

function divergenceCharts(x: Exploration): string {
  return x.columns
    .map((c) => {
      const series: ChartSeries[] = [
        { name: 'B − A', color: SERIES_COLORS.bMinusA, points: c.series.map((p) => [p.tNs, p.bMinusA] as const) },
        { name: 'C − A', color: SERIES_COLORS.cMinusA, points: c.series.map((p) => [p.tNs, p.cMinusA] as const) },
        { name: 'B − C', color: SERIES_COLORS.bMinusC, dash: '6 3', points: c.series.map((p) => [p.tNs, p.bMinusC] as const) },
      ];
      if (x.guest === 'windows') series.push({ name: '100·H − B', color: SERIES_COLORS.hMinusB, dash: '2 3', points: c.series.map((p) => [p.tNs, p.hMinusB] as const) });
      return `<figure data-chart="divergence" data-kernel="${escapeXml(c.kernel.name)}" style="margin:0">${lineChart({ title: `kernel ${c.kernel.name}`, yLabel: 'difference', series, width: 380, height: 280 })}</figure>`;
    })
    .join('');
}

function resnapshotChart(x: Exploration): string {
  const series = x.columns.map((c, i) => ({
    name: c.kernel.name,
    color: PROFILE_COLORS[i % PROFILE_COLORS.length],
    dash: i % 2 === 1 ? '6 3' : undefined,
    points: c.series.map((p) => [p.tNs, p.resnapshotStepNs] as const),
  }));
  return `<figure data-chart="resnapshot" style="margin:0">${lineChart({ title: 'legacy master-clock re-snapshot step of B', yLabel: 'step', series, width: 820, height: 300 })}</figure>`;
}

function migrationTable(x: Exploration): string {
  const cols = [
    ['kvmclockErrorNs', 'B error, ns'],
    ['tscErrorCycles', 'guest TSC error, cycles'],
    ['resumeStepNs', 'step at resume, ns'],
  ] as const;
  const head = `<thead><tr><th rowspan="2">method</th>${x.columns.map((c) => `<th colspan="${cols.length}">${escapeXml(c.kernel.name)}</th>`).join('')}</tr><tr>${x.columns.map(() => cols.map(([, l]) => `<th>${l}</th>`).join('')).join('')}</tr></thead>`;
  const methods = Object.keys(METHOD_NAMES) as (keyof typeof METHOD_NAMES)[];
  const body = methods
    .map((m) => {
      const tds = x.columns
        .map((c) => {
          if (c.migration === null) return `<td colspan="${cols.length}" class="text" data-field="mig.${m}.error" data-kernel="${escapeXml(c.kernel.name)}">${escapeXml(c.migrationError ?? 'not run')}</td>`;
          const r = c.migration.find((q) => q.method === m);
          return cols.map(([k]) => `<td class="num" data-field="mig.${m}.${k}" data-kernel="${escapeXml(c.kernel.name)}">${r === undefined ? 'n/a' : escapeXml(grouped(r[k], true))}${k === 'resumeStepNs' && r !== undefined && r.fallback !== null ? ' *' : ''}</td>`).join('');
        })
        .join('');
      return `<tr><th class="row" scope="row">${m.toUpperCase()}<small>${escapeXml(METHOD_NAMES[m])}</small></th>${tds}</tr>`;
    })
    .join('');
  return `${head}<tbody>${body}</tbody>`;
}

function migrationConfig(x: Exploration): string {
  const m = x.migration;
  if (m === null) return '';
  return `The default migration of kvmclock kernels: the ${grouped(m.src.tscKhz)} kHz ${m.src.vendor} host to an identical one, ${m.vcpus} vCPUs, paused ${formatDurationNs(m.uptimeNs)} after the reference, ${formatDurationNs(m.downtimeNs)} down, the hosts' realtime clocks ${formatDurationNs(m.syncErrorNs < 0n ? -m.syncErrorNs : m.syncErrorNs)} apart, ${formatDurationNs(m.vcpuGapNs)} between per-vCPU ioctls; errors are against a guest TSC and clock that kept running. * the VMM fell back to another ioctl.`;
}

function render(x: Exploration): void {
  $('clocks-title').textContent = `The clocks at +${formatDurationNs(x.horizonNs) === '0ns' ? '0' : formatDurationNs(x.horizonNs)} (host TSC ${grouped(x.columns[0].summary.at)})`;
  $('clocks').innerHTML = cells(x, clockRows(x));
  $('rates').innerHTML = cells(x, rateRows(x));
  $('divergence').innerHTML = divergenceCharts(x);
  $('resnapshot').innerHTML = resnapshotChart(x);
  $('migration-config').textContent = migrationConfig(x);
  $('migration').innerHTML = migrationTable(x);
}

function readForm(): ExplorerInput {
  const out: Record<string, string> = {};
  for (const [key, id] of FIELDS) out[key] = field(id).value;
  return out as unknown as ExplorerInput;
}

function writeForm(input: ExplorerInput): void {
  for (const [key, id] of FIELDS) field(id).value = input[key];
  syncSlider();
}

/** The field an error names (its `argument`), to mark it invalid. */
function fieldOf(e: unknown): string | null {
  const arg = String((e as { argument?: unknown }).argument ?? '');
  const message = String((e as Error).message ?? '');
  if (arg === 'host.tscKhz' || arg === 'hostKhz') return 'host-khz';
  if (arg === 'guestTscKhz' || arg === 'guestKhz' || /guestTscKhz/.test(message)) return 'guest-khz';
  if (arg.startsWith('kernel')) return 'kernels';
  if (arg === 'horizon' || arg === 'h') return 'horizon';
  if (arg === 'vendor') return 'vendor';
  if (arg === 'guest') return 'guest';
  return null;
}

function showError(e: unknown): void {
  for (const [, id] of FIELDS) field(id).removeAttribute('aria-invalid');
  const box = $('error');
  if (e === null) {
    box.hidden = true;
    return;
  }
  const known = isKvmclockError(e);
  $('error-name').textContent = known ? `${e.name} (${e.code}):` : 'Unexpected error (a bug of kvmclock or of this page):';
  $('error-message').textContent = e instanceof Error ? e.message : String(e);
  box.dataset.code = known ? e.code : 'unexpected';
  box.hidden = false;
  const id = fieldOf(e);
  if (id !== null) field(id).setAttribute('aria-invalid', 'true');
}

let runs = 0;

function run(): void {
  const input = readForm();
  const t0 = performance.now();
  let state: 'ok' | 'error';
  try {
    const x = explore(input);
    render(x);
    showError(null);
    $('results').hidden = false;
    const engine = wasmBatchEngine();
    $('status').textContent = `${x.columns.map((c) => c.kernel.name).join(', ')}: computed in ${Math.round(performance.now() - t0)} ms in this page by kvmclock's WebAssembly build (sha256 ${wasmInfo().sha256.slice(0, 12)}…, batch kernels ${engine.simd ? 'SIMD' : 'scalar'})`;
    state = 'ok';
  } catch (e) {
    showError(e);
    $('results').hidden = true;
    $('status').textContent = 'No results for this input: the library refused it (see above).';
    state = 'error';
  }
  saveHash(input);
  document.body.dataset.run = String(++runs);
  document.body.dataset.state = state;
}

let timer: ReturnType<typeof setTimeout> | undefined;
function schedule(delayMs: number): void {
  if (timer !== undefined) clearTimeout(timer);
  // Marks the results as about to change (tests and scripts wait for it to clear).
  document.body.dataset.pending = 'true';
  timer = setTimeout(() => {
    timer = undefined;
    delete document.body.dataset.pending;
    run();
  }, delayMs);
}

function syncSlider(): void {
  const v = Number(field('guest-khz').value.trim());
  const slider = field('guest-slider') as HTMLInputElement;
  if (Number.isSafeInteger(v) && v > 0) slider.value = String(Math.min(Math.max(v, Number(slider.min)), Number(slider.max)));
}

/** The names of the fields in the page address (`#host=…&guest-khz=…`). */
const HASH_KEYS: Record<keyof ExplorerInput, string> = { hostKhz: 'host', guestKhz: 'guest-khz', vendor: 'vendor', kernels: 'kernel', horizon: 'horizon', guest: 'os' };

function saveHash(input: ExplorerInput): void {
  const params = new URLSearchParams();
  for (const [k, name] of Object.entries(HASH_KEYS)) params.set(name, input[k as keyof ExplorerInput]);
  try {
    history.replaceState(null, '', `#${params.toString()}`);
  } catch {
    // Some hosts forbid history changes (sandboxed frames): the page works without.
  }
}

function loadHash(): ExplorerInput {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const out: Record<string, string> = {};
  for (const [k, name] of Object.entries(HASH_KEYS)) out[k] = params.get(name) ?? DEFAULT_INPUT[k as keyof ExplorerInput];
  return out as unknown as ExplorerInput;
}

function start(): void {
  $('kernel-presets').innerHTML = [...PRESET_NAMES, '7.4-queued+hz-pvclock', '6.18,7.4-queued,clocks-v6'].map((p) => `<option value="${escapeXml(p)}"></option>`).join('');
  $('kernel-hint').textContent = `presets ${PRESET_NAMES.join(', ')}; add or remove changes with +change/-change (${CHANGE_IDS.join(', ')})`;
  $('horizon-quick').innerHTML = ['1h', '1d', '30d', '1y'].map((h) => `<button type="button" data-horizon="${h}">${h}</button>`).join('');
  $('horizon-quick').addEventListener('click', (ev) => {
    const h = (ev.target as HTMLElement).dataset.horizon;
    if (h === undefined) return;
    field('horizon').value = h;
    schedule(0);
  });
  field('guest-slider').addEventListener('input', () => {
    field('guest-khz').value = field('guest-slider').value;
    schedule(30);
  });
  const form = $<HTMLFormElement>('form');
  form.addEventListener('input', (ev) => {
    if ((ev.target as HTMLElement).id === 'guest-slider') return;
    if ((ev.target as HTMLElement).id === 'guest-khz') syncSlider();
    schedule(150);
  });
  form.addEventListener('change', () => schedule(0));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    schedule(0);
  });
  writeForm(loadHash());
  run();
}

start();
