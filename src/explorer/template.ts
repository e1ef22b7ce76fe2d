/**
 * The explorer's HTML page and stylesheet. The page is static: a form, empty result sections
 * and one classic script (the bundled library and page code), so it opens from the file system
 * as well as from any static host.
 */
import { escapeXml } from './chart.js';

export interface TemplateOptions {
  /** The bundled script, relative to the page. */
  readonly script: string;
  readonly title?: string;
}

const CSS = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --bg: #ffffff; --panel: #f5f7fa; --accent: #2457c5; --bad: #b42318; --badbg: #fdecea; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; }
p.lead { margin: 0 0 16px; color: var(--muted); max-width: 980px; }
code, .num, .frac, input { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; }
form { display: grid; grid-template-columns: repeat(6, minmax(140px, 1fr)); gap: 10px 14px; padding: 14px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
form label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); gap: 4px; }
form input, form select { font-size: 14px; padding: 6px 8px; border: 1px solid #b9c0cc; border-radius: 5px; background: #fff; color: var(--fg); min-width: 0; }
form input[aria-invalid="true"], form select[aria-invalid="true"] { border-color: var(--bad); outline: 2px solid var(--badbg); }
form .wide { grid-column: span 2; }
form .full { grid-column: 1 / -1; }
form input[type="range"] { padding: 0; }
.hint { font-size: 12px; color: var(--muted); }
.quick { display: flex; gap: 4px; flex-wrap: wrap; }
.quick button { font: inherit; font-size: 12px; padding: 2px 8px; border: 1px solid #b9c0cc; border-radius: 10px; background: #fff; cursor: pointer; }
#error { margin: 14px 0 0; padding: 10px 14px; border: 1px solid var(--bad); background: var(--badbg); color: var(--bad); border-radius: 6px; }
#error strong { margin-right: 6px; }
#status { font-size: 13px; color: var(--muted); margin: 10px 0 0; }
table { border-collapse: collapse; margin: 4px 0; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
thead th { background: var(--panel); font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
td.frac { font-size: 11.5px; color: var(--muted); word-break: break-all; max-width: 300px; }
th.row { font-weight: normal; color: var(--fg); min-width: 170px; max-width: 250px; }
#migration { font-size: 13px; }
#migration td, #migration th { padding: 4px 8px; }
th.row small, thead small { color: var(--muted); font-weight: normal; display: block; }
thead small { max-width: 250px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.chart { background: #fff; border: 1px solid var(--line); border-radius: 6px; }
.chart .grid { stroke: #eceff4; }
.chart .zero { stroke: #9aa3b2; }
.chart .frame { fill: none; stroke: #c4cad4; }
.chart .tick { font-size: 11px; fill: var(--muted); }
.chart .axis { font-size: 12px; fill: var(--muted); }
.chart .legend { font-size: 12px; fill: var(--fg); }
.chart .chart-title { font-size: 13px; font-weight: 600; fill: var(--fg); }
details { margin-top: 28px; color: var(--muted); }
details dt { font-weight: 600; color: var(--fg); margin-top: 6px; }
details dd { margin-left: 18px; }
.scroll { overflow-x: auto; }
@media (max-width: 900px) { form { grid-template-columns: repeat(2, 1fr); } form .wide { grid-column: span 2; } }
`;

/** The page: the form, the result sections (filled by the script) and the script tag. */
export function explorerHtml(o: TemplateOptions): string {
  const title = o.title ?? 'kvmclock drift explorer';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${CSS}</style>
</head>
<body data-state="loading">
<main>
<h1>${escapeXml(title)}</h1>
<p class="lead">One host/guest TSC frequency pair on KVM's standard reference (every offset 0, the master clock taken at
host TSC 10<sup>12</sup>), evaluated under one or more kernel profiles: the host raw clock (A), what the guest reads (B),
what KVM computes for itself (C), the guest's own TSC clocksource (D) and Windows' reference time (H). Every number is
computed in this page by the kvmclock library, the same integer arithmetic as the kernel, bit for bit.</p>
<noscript><p id="noscript">This page computes everything in the browser: it needs JavaScript and WebAssembly.</p></noscript>
<form id="form" autocomplete="off" novalidate>
  <label>host TSC (kHz)<input id="host-khz" name="hostKhz" inputmode="numeric" spellcheck="false"></label>
  <label title="the frequency given to KVM_SET_TSC_KHZ">guest TSC (kHz)<input id="guest-khz" name="guestKhz" inputmode="numeric" spellcheck="false"></label>
  <label>vendor<select id="vendor" name="vendor"><option value="vmx">VMX (Intel)</option><option value="svm">SVM (AMD)</option></select></label>
  <label class="wide">kernel profiles (comma-separated)<input id="kernels" name="kernels" list="kernel-presets" spellcheck="false"><span class="hint" id="kernel-hint"></span></label>
  <label>guest<select id="guest" name="guest"><option value="linux">Linux (kvm-clock, tsc)</option><option value="windows">Windows (Hyper-V reference time)</option><option value="xen">Xen guest (CPUID leaf)</option></select></label>
  <label class="wide">guest TSC slider<input id="guest-slider" type="range" min="100000" max="5000000" step="1000" aria-label="guest TSC frequency in kHz"><span class="hint">move it and watch B − C</span></label>
  <label>horizon<input id="horizon" name="horizon" spellcheck="false"><span class="quick" id="horizon-quick"></span></label>
  <p class="hint full" id="inputs-hint">kHz are whole numbers 1..4294967295; a horizon is a duration such as 3600, 90m, 1h, 1d, 30d or 1y (365 d).
  Everything updates as you type; a value the library refuses shows its error here instead of numbers.</p>
</form>
<datalist id="kernel-presets"></datalist>
<div id="error" role="alert" hidden><strong id="error-name"></strong><span id="error-message"></span></div>
<p id="status" aria-live="polite"></p>
<div id="results" hidden>
  <h2 id="clocks-title">The clocks at the horizon</h2>
  <div class="scroll"><table id="clocks"></table></div>
  <h2>Divergence from the reference to the horizon</h2>
  <p class="hint">B − A, C − A and B − C (and 100·H − B for a Windows guest) sampled at evenly spaced instants (the floors make each line a staircase at the nanosecond scale).</p>
  <div class="charts" id="divergence"></div>
  <h2>Re-snapshot step</h2>
  <p class="hint">How far the guest clock B jumps if KVM re-takes the master clock the legacy way at that instant (the continuous variant steps it by 0).</p>
  <div class="charts" id="resnapshot"></div>
  <h2>Drift rates, exact</h2>
  <p class="hint">(X/Y − 1)·10<sup>9</sup> per host cycle from the kernel's fixed-point factors: the decimal is rounded to 0.001 ppb, the fraction is exact (lowest terms).</p>
  <div class="scroll"><table id="rates"></table></div>
  <h2>Live migration, methods M0–M5</h2>
  <p class="hint" id="migration-config"></p>
  <div class="scroll"><table id="migration"></table></div>
</div>
<details>
  <summary>What the letters mean</summary>
  <dl>
    <dt>A</dt><dd>the host's CLOCK_MONOTONIC_RAW plus KVM's offsets: the host reference.</dd>
    <dt>B</dt><dd>what the guest computes from its TSC and its pvclock record (kvm-clock).</dd>
    <dt>C</dt><dd>__get_kvmclock: what KVM itself computes (KVM_GET_CLOCK) from the master clock; C′ through the guest TSC under <code>c-via-guest-tsc</code>.</dd>
    <dt>D</dt><dd>a Linux guest on the <code>tsc</code> clocksource: its CLOCK_MONOTONIC_RAW, registered from pvclock_tsc_khz of its record, aligned with B at the reference.</dd>
    <dt>H</dt><dd>Windows' reference time in 100 ns units, from the Hyper-V reference TSC page KVM derives from the record (or the MSR fallback).</dd>
  </dl>
</details>
</main>
<script src="${escapeXml(o.script)}"></script>
</body>
</html>
`;
}
