/**
 * Chart rendering: Vega-Lite specifications compiled and rendered to self-contained
 * SVG on Node with Vega's headless renderer (no browser, no canvas). Vega is loaded
 * only when a chart is drawn, so the arithmetic never depends on it.
 */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { ArgumentTypeError } from '../errors.js';
import { join } from 'node:path';

/** A Vega-Lite specification (kept loose: the builders in this folder produce them). */
export type VegaLiteSpec = Record<string, unknown>;

/** Render one Vega-Lite chart to an SVG string. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface Chart {
  /** File stem, e.g. "drift-rates". */
  readonly name: string;
  readonly title: string;
  /** One paragraph shown under the chart in the HTML page. */
  readonly caption: string;
  readonly spec: VegaLiteSpec;
}

/**
 * Write each chart as `<name>.svg` and an `index.html` showing them all inline, into
 * `dir` (created if needed). Files are written to a temporary name and renamed, so an
 * interrupted run leaves no partial file. Returns the paths written.
 */
export async function writeCharts(dir: string, pageTitle: string, charts: readonly Chart[]): Promise<string[]> {
  await ensureDirectory(dir);
  const written: string[] = [];
  const sections: string[] = [];
  for (const chart of charts) {
    const svg = await renderSvg(chart.spec);
    written.push(await writeAtomic(join(dir, `${chart.name}.svg`), svg));
    sections.push(`<section><h2>${escapeHtml(chart.title)}</h2>${svg}<p>${escapeHtml(chart.caption)}</p></section>`);
  }
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(pageTitle)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}section{margin-bottom:3em}p{max-width:80ch}</style>
</head><body><h1>${escapeHtml(pageTitle)}</h1>${sections.join('\n')}</body></html>\n`;
  written.push(await writeAtomic(join(dir, 'index.html'), html));
  return written;
}

/** Create `dir` if needed (its parent must exist); a path that exists and is not a directory is refused. */
export async function ensureDirectory(dir: string): Promise<void> {
  const found = await stat(dir).catch(() => undefined);
  if (found?.isDirectory()) return;
  if (found !== undefined) throw new ArgumentTypeError('plot', 'a directory', `${dir} (an existing file)`);
  await mkdir(dir); // not recursive: the parent must exist (and Node 20 can hang on recursive mkdir under /proc)
}

/** Write a file via a temporary sibling and a rename (atomic on one filesystem). */
export async function writeAtomic(path: string, content: string): Promise<string> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
  return path;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}
