/**
 * What the browser tests share: Debian's Chromium started headless by playwright-core (never a
 * downloaded browser), a static server on 127.0.0.1, and esbuild bundles of the public API and
 * of the in-page checks. Where Chromium is missing the suites skip and say why.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The Chromium binary: Debian's package, or $KVMCLOCK_CHROMIUM. */
export const CHROMIUM_PATH = process.env.KVMCLOCK_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser suites cannot run here, or null when they can. */
export const chromiumSkipReason: string | null = existsSync(CHROMIUM_PATH)
  ? null
  : `no Chromium at ${CHROMIUM_PATH}: install Debian's chromium (as root: apt-get install -y chromium) or point KVMCLOCK_CHROMIUM at a Chromium binary`;

if (chromiumSkipReason !== null) process.stderr.write(`browser tests skipped: ${chromiumSkipReason}\n`);

/** Flags for a quiet headless Chromium on a machine without outside network. */
export const CHROMIUM_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-sandbox',
];

/**
 * Start Chromium headless (playwright gives each launch a fresh, temporary profile directory
 * and removes it on close).
 */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs], timeout: 60_000 });
}

/** Chromium's own version and its V8's, from the DevTools protocol. */
export async function browserVersions(browser: Browser): Promise<{ readonly product: string; readonly v8: string }> {
  const session = await browser.newBrowserCDPSession();
  try {
    const v = (await session.send('Browser.getVersion')) as { product: string; jsVersion: string };
    return { product: v.product, v8: v.jsVersion };
  } finally {
    await session.detach();
  }
}

export interface Route {
  readonly body: string | Uint8Array;
  readonly type: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface StaticServer {
  readonly origin: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The files of a directory as routes (`/index.html`, and `/` for the index). */
export function directoryRoutes(dir: string): Record<string, Route> {
  const routes: Record<string, Route> = {};
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    routes[`/${name}`] = { body: readFileSync(path), type: TYPES[extname(name)] ?? 'application/octet-stream' };
  }
  if (routes['/index.html'] !== undefined) routes['/'] = routes['/index.html'];
  return routes;
}

/** A static server on 127.0.0.1 (a free port) answering GET for the given paths, 404 otherwise. */
export async function serve(routes: Readonly<Record<string, Route>>): Promise<StaticServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname));
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (req.method !== 'GET' || route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': route.type, 'cache-control': 'no-store', ...route.headers }).end(route.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The public API as a browser would get it from a bundler: the package entry (`dist/index.js`,
 * what `import … from 'kvmclock'` resolves to) bundled into one classic script that defines
 * the global `kvmclockLib`.
 */
export async function bundleLibrary(): Promise<string> {
  const entry = join(ROOT, 'dist/index.js');
  if (!existsSync(entry)) throw new Error('dist/index.js is missing: run `npm run build` first (npm run test:browser does)');
  return bundle(entry, { globalName: 'kvmclockLib' });
}

/** The in-page checks (fixtures/checks.ts), which use the global `kvmclockLib`. */
export function bundleChecks(): Promise<string> {
  return bundle(join(ROOT, 'test/browser/fixtures/checks.ts'));
}

async function bundle(entry: string, o: { globalName?: string } = {}): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    write: false,
    logLevel: 'silent',
    ...(o.globalName === undefined ? {} : { globalName: o.globalName }),
  });
  return result.outputFiles[0].text;
}

/** Strip digit grouping and a leading + from a displayed integer. */
export function displayedInteger(text: string): string {
  return text.trim().replace(/[,\s\u202f]/g, '').replace(/^\+/, '');
}
