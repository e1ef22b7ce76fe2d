/**
 * `--plot DIR`: the directory checked (or created) before any work, then each chart as
 * `<name>.svg` and an `index.html` showing them all, written through the CLI's one safe
 * file writer (./output-file.ts): complete or not at all, modes kept, links followed,
 * FIFOs and devices written in place.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Chart, chartsPage, renderSvg } from '../plot/render.js';
import { importOptional } from '../optional-package.js';
import { UsageError } from './command.js';
import { writeOutputFile } from './output-file.js';

/**
 * Before any work: the chart packages (optional peer dependencies) must be installed, and `dir`
 * is created if needed (its parent must exist); a path that exists and is not a directory is refused.
 */
export async function ensureDirectory(dir: string, option = '--plot'): Promise<void> {
  await importOptional('vega', `${option} (drawing charts)`);
  await importOptional('vega-lite', `${option} (drawing charts)`);
  const found = await stat(dir).catch(() => undefined);
  if (found?.isDirectory()) return;
  if (found !== undefined) throw new UsageError(`${option} ${dir} exists and is not a directory`);
  const parent = await stat(join(dir, '..')).catch(() => undefined);
  if (!parent?.isDirectory()) throw new UsageError(`${option} ${dir}: the directory it would go in does not exist`);
  await mkdir(dir); // not recursive: the parent must exist (and Node 20 can hang on recursive mkdir under /proc)
}

/** Render and write the charts and their page into `dir`; returns the paths written. */
export async function writeCharts(dir: string, pageTitle: string, charts: readonly Chart[], option = '--plot'): Promise<string[]> {
  await ensureDirectory(dir, option);
  const written: string[] = [];
  const rendered: { chart: Chart; svg: string }[] = [];
  for (const chart of charts) {
    const svg = await renderSvg(chart.spec);
    written.push(await writeOutputFile(join(dir, `${chart.name}.svg`), svg, option));
    rendered.push({ chart, svg });
  }
  written.push(await writeOutputFile(join(dir, 'index.html'), chartsPage(pageTitle, rendered), option));
  return written;
}
