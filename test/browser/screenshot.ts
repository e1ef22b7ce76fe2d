/// <reference lib="dom" />
/**
 * The README's picture of the drift explorer: builds the page, opens it from the file system in
 * headless Chromium at one point, and saves a PNG of the whole page.
 *
 *   npx tsx test/browser/screenshot.ts [--out docs/explorer.png] [--hash 'host=…&guest-khz=…'] [--width 1280]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildExplorer } from '../../src/explorer/build.js';
import { ROOT, chromiumSkipReason, launchChromium } from './harness.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(ROOT, 'docs/explorer.png') },
    hash: { type: 'string', default: 'host=2500000&guest-khz=1000000&vendor=vmx&kernel=6.18,7.4-queued,clocks-v6&horizon=1d&os=linux' },
    width: { type: 'string', default: '1280' },
  },
  strict: true,
});

if (chromiumSkipReason !== null) {
  process.stderr.write(`no screenshot: ${chromiumSkipReason}\n`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'kvmclock-explorer-shot-'));
try {
  const built = await buildExplorer(dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: Number(values.width), height: 900 } });
    await page.goto(`${pathToFileURL(built.index).href}#${values.hash}`);
    await page.waitForFunction(() => document.body.dataset.run !== undefined && document.body.dataset.pending === undefined, null, { timeout: 60_000 });
    const state = await page.evaluate(() => ({ state: document.body.dataset.state, status: document.getElementById('status')?.textContent }));
    if (state.state !== 'ok') throw new Error(`the page shows an error: ${state.status}`);
    const out = resolve(values.out as string);
    await page.screenshot({ path: out, fullPage: true });
    process.stdout.write(`wrote ${out} (${state.status})\n`);
  } finally {
    await browser.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
