/**
 * Chart rendering: Vega-Lite specifications compiled and rendered to self-contained
 * SVG on Node with Vega's headless renderer (no browser, no canvas), and the HTML page
 * that shows them. Vega is loaded only when a chart is drawn, so the arithmetic never
 * depends on it. Writing the files is the CLI's (src/cli/charts.ts).
 */

import { importOptional } from '../optional-package.js';

/** A Vega-Lite specification (kept loose: the builders in this folder produce them). */
export type VegaLiteSpec = Record<string, unknown>;

/** Render one Vega-Lite chart to an SVG string. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega, vl] = await Promise.all([importOptional<typeof import('vega')>('vega', 'drawing charts'), importOptional<typeof import('vega-lite')>('vega-lite', 'drawing charts')]);
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

/** An HTML page showing rendered charts inline, each with its title and caption. */
export function chartsPage(pageTitle: string, charts: readonly { readonly chart: Chart; readonly svg: string }[]): string {
  const sections = charts.map(({ chart, svg }) => `<section><h2>${escapeHtml(chart.title)}</h2>${svg}<p>${escapeHtml(chart.caption)}</p></section>`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(pageTitle)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}section{margin-bottom:3em}p{max-width:80ch}</style>
</head><body><h1>${escapeHtml(pageTitle)}</h1>${sections.join('\n')}</body></html>\n`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}
