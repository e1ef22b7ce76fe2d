#!/usr/bin/env node
// Entry point of `npx kvmclock`: runs the compiled CLI that `npm ci` (the prepare script) builds.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('kvmclock: dist/ is missing; run `npm ci` (or `npm run build`) in the project directory first\n');
  process.exit(2);
}

const NO_TRAP_HANDLER = '--disable-wasm-trap-handler';

/**
 * True under a finite virtual-memory limit (ulimit -v) on Linux. V8 reserves about 10 GiB of
 * address space for every WebAssembly memory (guard regions for its trap handler); under
 * such a limit the V8 of Node 20 and 22 then makes no Wasm instance at all, on the main
 * thread or in a worker (later V8 falls back to bounds checks by itself).
 */
function addressSpaceLimited() {
  if (process.platform !== 'linux') return false;
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max address space'));
    const soft = line?.slice('Max address space'.length).trim().split(/\s+/)[0];
    return soft !== undefined && soft !== 'unlimited';
  } catch {
    return false;
  }
}

/** True when this engine cannot make a Wasm instance with a memory (older V8 does not fall back to bounds checks). */
function wasmMemoryRefused() {
  try {
    // The smallest module with one page of memory: what every kvmclock instance has.
    new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1])));
    return false;
  } catch (e) {
    return e instanceof RangeError;
  }
}

const alreadyOff = process.execArgv.includes(NO_TRAP_HANDLER) || (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes(NO_TRAP_HANDLER);
if (!alreadyOff && addressSpaceLimited() && process.allowedNodeEnvironmentFlags.has(NO_TRAP_HANDLER) && wasmMemoryRefused()) {
  // Run again with inline bounds checks, which need no reservation: the same output, a little slower Wasm.
  // Signals sent to this process alone are passed on; the exit code (or the signal) is the child's.
  const child = spawn(process.execPath, [...process.execArgv, NO_TRAP_HANDLER, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  const forward = (signal) => child.kill(signal);
  for (const signal of signals) process.on(signal, forward);
  let started = false;
  child.on('spawn', () => (started = true));
  child.on('error', (e) => {
    if (started) return; // a signal for a child that has already gone
    process.stderr.write(`kvmclock: cannot start ${process.execPath} ${NO_TRAP_HANDLER} (needed under ulimit -v): ${e.message}\n`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, forward);
    if (signal !== null) process.kill(process.pid, signal);
    else process.exit(code ?? 70);
  });
} else {
  const { run } = await import(main.href);
  process.exitCode = await run(process.argv.slice(2));
}
