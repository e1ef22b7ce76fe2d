/// <reference lib="dom" />
/**
 * The library in a real browser: the package entry bundled with esbuild, served from
 * 127.0.0.1, run in Debian's Chromium headless. Scalar calls against the README's values and
 * the kernel-validated vectors, every batch form on the SIMD build, on the scalar module by
 * choice and on an engine without SIMD, in a Web Worker, the typed errors, and pages under a
 * Content-Security-Policy with and without 'wasm-unsafe-eval'.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVectors } from '../helpers/vectors.js';
import type { BatchReport, CspProbe, ErrorShape } from './fixtures/checks.js';
import { VECTOR_FUNCTIONS, errorChecks, readmeExample } from './fixtures/checks.js';
import { type StaticServer, browserVersions, bundleChecks, bundleLibrary, chromiumSkipReason, launchChromium, serve } from './harness.js';

declare global {
  interface Window {
    kvmclockLib: typeof import('../../src/index.js');
    kvmclockChecks: import('./fixtures/checks.js').Checks;
    __probe?: CspProbe;
    __violations?: { directive: string; blocked: string }[];
    __worker?: BatchReport | { error: string };
  }
}

const BATCH_N = 100_003; // not a multiple of the Wasm chunk: the tail is converted too

const page = (head: string, scripts: readonly string[]) =>
  `<!doctype html><html><head><meta charset="utf-8">${head}<title>kvmclock in the browser</title></head><body>${scripts.map((s) => `<script src="${s}"></script>`).join('')}</body></html>`;

const CSP_RUN = `
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI }));
window.__probe = kvmclockChecks.cspProbe();
`;

const WORKER = `
importScripts('/kvmclock.js', '/checks.js');
onmessage = (e) => postMessage(kvmclockChecks.batchChecks(e.data));
`;

const WORKER_RUN = `
const w = new Worker('/worker.js');
w.onmessage = (e) => { window.__worker = e.data; w.terminate(); };
w.onerror = (e) => { window.__worker = { error: String(e.message) }; };
w.postMessage(${BATCH_N});
`;

const html = (body: string, headers: Record<string, string> = {}) => ({ body, type: 'text/html; charset=utf-8', headers });
const js = (body: string) => ({ body, type: 'text/javascript; charset=utf-8' });

describe.skipIf(chromiumSkipReason !== null)('kvmclock in Chromium', () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    const [lib, checks] = await Promise.all([bundleLibrary(), bundleChecks()]);
    const libScripts = ['/kvmclock.js', '/checks.js'];
    server = await serve({
      '/kvmclock.js': js(lib),
      '/checks.js': js(checks),
      '/csp-run.js': js(CSP_RUN),
      '/worker.js': js(WORKER),
      '/worker-run.js': js(WORKER_RUN),
      '/plain.html': html(page('', libScripts)),
      '/worker.html': html(page('', ['/worker-run.js'])),
      '/csp-wasm.html': html(page('', [...libScripts, '/csp-run.js']), { 'content-security-policy': "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'" }),
      '/csp-strict.html': html(page('', [...libScripts, '/csp-run.js']), { 'content-security-policy': "default-src 'none'; script-src 'self'" }),
      '/csp-meta.html': html(page(`<meta http-equiv="Content-Security-Policy" content="script-src 'self'">`, [...libScripts, '/csp-run.js'])),
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(path: string, b: Browser = browser): Promise<Page> {
    const p = await b.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(`${server.origin}${path}`);
    if (errors.length > 0) throw new Error(`page errors on ${path}: ${errors.join('; ')}`);
    return p;
  }

  it('loads the bundled package in Chromium, with the SIMD build for batches', async () => {
    const versions = await browserVersions(browser);
    const p = await open('/plain.html');
    const info = await p.evaluate(() => ({ engine: window.kvmclockLib.wasmBatchEngine(), wasm: window.kvmclockLib.wasmInfo(), ua: navigator.userAgent }));
    process.stderr.write(`browser: ${versions.product} (V8 ${versions.v8}); ${info.engine.reason}\n`);
    expect(versions.product).toMatch(/Chrom/);
    expect(info.engine.simd).toBe(true);
    expect(info.wasm.sha256).toMatch(/^[0-9a-f]{64}$/);
    await p.close();
  });

  it('scalar calls give the README values, equal to the reference and to Node', async () => {
    const p = await open('/plain.html');
    const inBrowser = await p.evaluate(() => window.kvmclockChecks.readmeExample());
    expect(inBrowser).toEqual({ ratio: '112589990684262', tgt: '999999', shift: '1', mul: '2147485795', read: '1000000999', referenceRead: '1000000999', pvclockTscKhz: '999999' });
    (globalThis as unknown as { kvmclockLib: unknown }).kvmclockLib = await import('../../dist/index.js');
    expect(inBrowser).toEqual(readmeExample());
    await p.close();
  });

  it('scalar calls agree with the kernel-validated vectors', async () => {
    const vectors = loadVectors().filter((v) => VECTOR_FUNCTIONS.includes(v.fn));
    expect(vectors.length).toBeGreaterThan(10_000);
    const p = await open('/plain.html');
    const got = await p.evaluate((vs) => window.kvmclockChecks.vectorChecks(vs), vectors.map((v) => ({ fn: v.fn, args: v.args })));
    const mismatches = vectors.flatMap((v, i) => (got[i] === v.expected ? [] : [`${v.file}:${v.line} ${v.input} → ${got[i]} (want ${v.expected})`]));
    process.stderr.write(`browser: ${vectors.length} kernel vectors of ${VECTOR_FUNCTIONS.length} functions, ${mismatches.length} mismatches\n`);
    expect(mismatches.slice(0, 5)).toEqual([]);
    await p.close();
  });

  const expectClean = (r: BatchReport) => {
    for (const c of r.checks) expect({ op: c.op, mismatches: c.mismatches, first: c.firstMismatch }).toEqual({ op: c.op, mismatches: 0, first: null });
    expect(r.checks.every((c) => c.n === BATCH_N)).toBe(true);
  };
  const summary = (label: string, r: BatchReport) =>
    process.stderr.write(`browser ${label}: ${r.engine.reason}; ${r.checks.map((c) => `${c.op} ${c.n} in ${c.ms.toFixed(1)} ms, ${c.mismatches} mismatches`).join('; ')}\n`);

  it('batch calls on the SIMD build equal the reference element by element', async () => {
    const p = await open('/plain.html');
    const r = await p.evaluate((n) => window.kvmclockChecks.batchChecks(n), BATCH_N);
    summary('SIMD', r);
    expect(r.engine.simd).toBe(true);
    expectClean(r);
    await p.close();
  });

  it('batch calls on the scalar module (setWasmBatchEngine("scalar")) equal the reference', async () => {
    const p = await open('/plain.html');
    const r = await p.evaluate((n) => {
      window.kvmclockLib.setWasmBatchEngine('scalar');
      return window.kvmclockChecks.batchChecks(n);
    }, BATCH_N);
    summary('scalar (chosen)', r);
    expect(r.engine).toEqual({ simd: false, reason: expect.stringMatching(/setWasmBatchEngine/) });
    expectClean(r);
    await p.close();
  });

  it('falls back to the scalar module on an engine without Wasm SIMD, with the reason', async () => {
    // V8 runs Wasm SIMD only with SSE4.1; without it the SIMD module does not validate.
    const noSimd = await launchChromium(['--js-flags=--no-enable-sse4-1']);
    try {
      const p = await open('/plain.html', noSimd);
      const r = await p.evaluate((n) => window.kvmclockChecks.batchChecks(n), BATCH_N);
      summary('without SIMD', r);
      expect(r.engine.simd).toBe(false);
      expect(r.engine.reason).toMatch(/does not support WebAssembly SIMD/);
      expectClean(r);
    } finally {
      await noSimd.close();
    }
  });

  it('runs the batch forms in a Web Worker', async () => {
    const p = await open('/worker.html');
    await p.waitForFunction(() => window.__worker !== undefined, null, { timeout: 60_000 });
    const r = (await p.evaluate(() => window.__worker)) as BatchReport | { error: string };
    if ('error' in r) throw new Error(`worker failed: ${r.error}`);
    summary('Web Worker', r);
    expect(r.engine.simd).toBe(true);
    expectClean(r);
    await p.close();
  });

  it('throws typed errors: classes, instanceof, codes and messages as in Node', async () => {
    const p = await open('/plain.html');
    const inBrowser = await p.evaluate(() => window.kvmclockChecks.errorChecks());
    (globalThis as unknown as { kvmclockLib: unknown }).kvmclockLib = await import('../../dist/index.js');
    const inNode = errorChecks();
    expect(inBrowser).toEqual(inNode);
    const by = (call: string) => inBrowser.find((e) => e.call === call) as ErrorShape;
    expect(inBrowser.every((e) => e.threw && e.isKvmclockError && e.instanceOfOwnClass)).toBe(true);
    expect(by('pvclockRead(5, 0n, 0n, 1, 0)')).toMatchObject({ name: 'ArgumentTypeError', code: 'type', instanceOfBuiltin: 'TypeError', message: '"tsc" expected bigint (u64), got number 5' });
    expect(by('mulU64U32Shr(1n, 2**32, 0)')).toMatchObject({ name: 'ArgumentRangeError', code: 'range', instanceOfBuiltin: 'RangeError', message: '"mul" expected u32 in 0..4294967295, got 4294967296' });
    expect(by('mulU64U64Shr(2n**64n + 5n, 1n, 0)')).toMatchObject({ name: 'ArgumentRangeError', code: 'range' });
    expect(by('tscRatio(1000000, 1000, 32, 2n**40n - 1n)')).toMatchObject({
      name: 'KernelRuleError',
      code: 'toolarge',
      value: '4294967296000',
    });
    expect(by('tscRatio(1000000, 1000, 32, 2n**40n - 1n)').message).toMatch(/^kvm_set_tsc_khz rejects a TSC scaling ratio >= max\S* \(?1099511627775\)? \(value 4294967296000\)$/);
    expect(by('getTimeScale(0n, 1n)')).toMatchObject({ name: 'KernelRuleError', code: 'hang' });
    expect(by('mulU64U32Div(1n, 1, 0)')).toMatchObject({ name: 'ArithmeticFaultError', code: 'div0', instanceOfBuiltin: 'RangeError' });
    expect(by('mulU64U32Div(2n**47n, 1000001, 1)')).toMatchObject({ name: 'ArithmeticFaultError', code: 'overflow' });
    expect(by("KernelProfile.parse('9.9')")).toMatchObject({ name: 'KernelProfileError', code: 'profile' });
    await p.close();
  });

  it("works on a page whose CSP allows 'wasm-unsafe-eval'", async () => {
    const p = await open('/csp-wasm.html');
    const probe = (await p.evaluate(() => window.__probe)) as CspProbe;
    expect(probe).toEqual({ scalar: { value: '1000000999' }, batch: { value: '1000000999' }, reference: '1000000999' });
    await p.close();
  });

  for (const [path, how] of [
    ['/csp-strict.html', 'a Content-Security-Policy header'],
    ['/csp-meta.html', 'a <meta> Content-Security-Policy'],
  ] as const) {
    it(`names the CSP requirement under ${how} without 'wasm-unsafe-eval' (EnvironmentError, not InternalError)`, async () => {
      const p = await open(path);
      const probe = (await p.evaluate(() => window.__probe)) as CspProbe;
      await p.waitForFunction(() => (window.__violations?.length ?? 0) > 0, null, { timeout: 10_000 }).catch(() => undefined);
      const violations = await p.evaluate(() => window.__violations);
      process.stderr.write(`browser CSP (${how}): ${JSON.stringify(probe.scalar.error)}; violations ${JSON.stringify(violations)}\n`);
      const error = probe.scalar.error;
      expect(error, 'the scalar call must fail under script-src without wasm-unsafe-eval').toBeDefined();
      expect(error).toMatchObject({ name: 'EnvironmentError', code: 'environment', reason: 'csp', isEnvironmentError: true, isInternalError: false, isKvmclockError: true });
      expect(error?.message).toMatch(/wasm-unsafe-eval/);
      expect(error?.message).toMatch(/Content-Security-Policy/i);
      expect(probe.batch.error).toMatchObject({ name: 'EnvironmentError', code: 'environment' });
      // The BigInt reference compiles nothing: it still answers, and the same.
      expect(probe.reference).toBe('1000000999');
      await p.close();
    });
  }
});
