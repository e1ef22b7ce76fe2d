#!/usr/bin/env node
// Entry point of `npx kvmclock`: runs the compiled CLI that `npm ci` (the prepare script) builds.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('kvmclock: dist/ is missing; run `npm ci` (or `npm run build`) in the project directory first\n');
  process.exit(2);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
