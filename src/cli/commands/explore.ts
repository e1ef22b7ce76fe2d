/**
 * `kvmclock explore`: writes the drift explorer — a static page that computes A/B/C/D/H, the
 * exact rates, the divergence and the migration table in the browser with the library itself —
 * into a directory. The page is prebuilt into dist/explorer-page by `npm run build`; without it
 * (a checkout that has not been built) it is bundled now, which needs esbuild.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EnvironmentError } from '../../errors.js';
import { type CliCommand, UsageError } from '../command.js';
import { parseOptions } from '../options.js';
import { writeOutputFile } from '../output-file.js';

const HELP = `usage: kvmclock explore [--out DIR]

Writes the drift explorer (index.html and explorer.js) into DIR (default kvmclock-explorer;
its parent directory must exist). Open index.html from the file system or serve DIR from any
static host: every number on the page is computed in the browser by kvmclock itself.`;

/** Where `npm run build` puts the prebuilt page (beside the compiled CLI). */
const PREBUILT = fileURLToPath(new URL('../../explorer-page/', import.meta.url));

/** The page's files: the prebuilt ones when present, otherwise bundled now (a checkout not yet built). */
async function pageFiles(): Promise<{ readonly name: string; readonly text: string }[]> {
  const prebuilt = await readdir(PREBUILT).catch(() => null);
  if (prebuilt !== null && prebuilt.includes('index.html')) {
    return Promise.all(prebuilt.map(async (name) => ({ name, text: await readFile(join(PREBUILT, name), 'utf8') })));
  }
  try {
    const build = await import('../../explorer/build.js');
    return await build.explorerPageFiles();
  } catch (e) {
    throw new EnvironmentError('missing', `kvmclock explore: the prebuilt page is missing (run npm run build) and bundling it now failed: ${(e as Error).message}`, { cause: e });
  }
}

export const exploreCommand: CliCommand = {
  name: 'explore',
  async run(argv) {
    const { values } = parseOptions(argv, { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const out = resolve(values.out ?? 'kvmclock-explorer');
    const parent = await stat(join(out, '..')).catch(() => undefined);
    if (!parent?.isDirectory()) throw new UsageError(`--out ${out}: the directory it would go in does not exist`);
    const existing = await stat(out).catch(() => undefined);
    if (existing !== undefined && !existing.isDirectory()) throw new UsageError(`--out ${out} exists and is not a directory`);
    const page = await pageFiles();
    await mkdir(out, { recursive: true });
    // Each file goes through the CLI's one output-file writer: a link in DIR is followed, an
    // existing file keeps its mode, and an interrupted write leaves the old file as it was.
    const files: string[] = [];
    for (const { name, text } of page) files.push(await writeOutputFile(join(out, name), text, '--out'));
    process.stdout.write(`${files.map((f) => `wrote ${f}`).join('\n')}\nopen ${pathToFileURL(join(out, 'index.html')).href} in a browser, or serve ${out} from any static host\n`);
    return 0;
  },
};
