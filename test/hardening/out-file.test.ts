/**
 * Finding 1 of the hardening audit: `--out` never destroys what it should not. A symbolic
 * link is followed (the link stays, its target gets the output), a FIFO and a character
 * device are written in place (never replaced by a regular file), an existing file keeps
 * its mode and every hard link sees the new content, and each of SIGINT, SIGTERM, SIGHUP
 * and SIGQUIT leaves no partial file and exits 128 + the signal's number.
 *
 * Everything happens in fresh temporary directories; the character device is one the test
 * makes there itself (mknod, as root), never the machine's /dev.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, createReadStream, linkSync, mkdirSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from './cli.js';

const SMALL = ['sweep', '--host-khz', '2500000', '--guest-khz', '1000000,2000000', '--horizon', '1d', '--workers', '1', '--json'];
// Several seconds of work on one thread: long enough to be interrupted.
const LONG = ['sweep', '--host-khz', '2000000:2049000:1000', '--guest-khz', '1000000:3495000:5000', '--horizon', '1d', '--vendor', 'vmx,svm', '--workers', '1', '--json'];

const sweepTo = (out: string) => runCli([...SMALL, '--out', out]);

/** Run `test` in a fresh temporary directory. */
const inTemp = (test: (dir: string) => Promise<void>) => async () => {
  const t = tempDir('kvmclock-out-');
  try {
    await test(t.dir);
  } finally {
    t.remove();
  }
};

let expected: string;
beforeAll(async () => {
  expected = (await runCli(SMALL)).stdout;
  expect(expected.split('\n')).toHaveLength(5);
});

describe.concurrent('--out writes without destroying what is at the path', () => {
  it(
    'follows a symbolic link: the link stays a link, its target gets the output',
    inTemp(async (dir) => {
      writeFileSync(join(dir, 'target.jsonl'), 'old\n');
      symlinkSync('target.jsonl', join(dir, 'link.jsonl'));
      const r = await sweepTo(join(dir, 'link.jsonl'));
      expect(r.status, r.stderr).toBe(0);
      expect(lstatSync(join(dir, 'link.jsonl')).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(dir, 'target.jsonl'), 'utf8')).toBe(expected);
      expect(readdirSync(dir).sort()).toEqual(['link.jsonl', 'target.jsonl']);
    }),
  );

  it(
    'refuses a symbolic link to nothing, a directory and a missing directory, before any work',
    inTemp(async (dir) => {
      symlinkSync('missing.jsonl', join(dir, 'dangling.jsonl'));
      const [dangling, directory, missing] = await Promise.all([sweepTo(join(dir, 'dangling.jsonl')), sweepTo(dir), sweepTo(join(dir, 'no', 'x.jsonl'))]);
      expect([dangling.status, directory.status, missing.status]).toEqual([2, 2, 2]);
      expect(dangling.stderr).toMatch(/--out .*dangling\.jsonl is a symbolic link to a file that does not exist/);
      expect(directory.stderr).toContain('is a directory');
      expect(missing.stderr).toContain('does not exist');
      expect(readdirSync(dir)).toEqual(['dangling.jsonl']);
    }),
  );

  it(
    'keeps the mode of an existing 0600 file',
    inTemp(async (dir) => {
      const out = join(dir, 'private.jsonl');
      writeFileSync(out, 'old\n');
      chmodSync(out, 0o600);
      expect((await sweepTo(out)).status).toBe(0);
      expect(statSync(out).mode & 0o7777).toBe(0o600);
      expect(readFileSync(out, 'utf8')).toBe(expected);
    }),
  );

  it(
    'writes a file with two hard links in place: both names see the new content',
    inTemp(async (dir) => {
      const out = join(dir, 'a.jsonl');
      writeFileSync(out, 'old\n'.repeat(10_000)); // longer than the output: the rest must go
      linkSync(out, join(dir, 'b.jsonl'));
      expect((await sweepTo(out)).status).toBe(0);
      expect(readFileSync(join(dir, 'b.jsonl'), 'utf8')).toBe(expected);
      expect(statSync(out).ino).toBe(statSync(join(dir, 'b.jsonl')).ino);
      expect(readdirSync(dir).sort()).toEqual(['a.jsonl', 'b.jsonl']);
    }),
  );

  it(
    'writes into a FIFO in place: it stays a FIFO',
    inTemp(async (dir) => {
      const fifo = join(dir, 'pipe');
      const made = spawnSync('mkfifo', [fifo], { encoding: 'utf8' });
      if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
      // Opening the FIFO for reading waits for the writer, so read and run at the same time.
      const reading = new Promise<string>((resolve, reject) => {
        let text = '';
        createReadStream(fifo, 'utf8')
          .on('data', (c) => (text += c))
          .on('end', () => resolve(text))
          .on('error', reject);
      });
      const r = await sweepTo(fifo);
      expect(r.status, r.stderr).toBe(0);
      expect(await reading).toBe(expected);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
      expect(readdirSync(dir)).toEqual(['pipe']);
    }),
  );

  it('writes into a character device in place: it stays a character device', async (ctx) => {
    const t = tempDir('kvmclock-out-');
    try {
      const node = join(t.dir, 'null');
      const isRoot = process.getuid?.() === 0;
      // Major 1, minor 3: the kernel's null device, made here in the temporary directory.
      const made = isRoot ? spawnSync('mknod', [node, 'c', '1', '3'], { encoding: 'utf8' }) : undefined;
      if (!isRoot || made?.status !== 0) {
        console.warn(`skipped: making a character device needs root and mknod (${isRoot ? `mknod: ${made?.stderr.trim()}` : 'not root'})`);
        ctx.skip();
        return;
      }
      const r = await sweepTo(node);
      expect(r.status, r.stderr).toBe(0);
      expect(lstatSync(node).isCharacterDevice()).toBe(true);
      expect(readdirSync(t.dir)).toEqual(['null']);
    } finally {
      t.remove();
    }
  });

  it(
    'explore writes its page through the same writer: a linked file keeps its link, an existing file its mode',
    inTemp(async (dir) => {
      const page = join(dir, 'page');
      mkdirSync(page);
      writeFileSync(join(dir, 'kept.html'), 'old\n');
      symlinkSync(join(dir, 'kept.html'), join(page, 'index.html'));
      writeFileSync(join(page, 'explorer.js'), 'old\n');
      chmodSync(join(page, 'explorer.js'), 0o600);
      const r = await runCli(['explore', '--out', page]);
      expect(r.status, r.stderr).toBe(0);
      expect(lstatSync(join(page, 'index.html')).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(dir, 'kept.html'), 'utf8')).toMatch(/<script src="explorer\.js">/);
      expect(statSync(join(page, 'explorer.js')).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(page, 'explorer.js'), 'utf8').length).toBeGreaterThan(100_000);
      expect(readdirSync(page).sort()).toEqual(['explorer.js', 'index.html']);
    }),
  );
});

describe.concurrent('--out interrupted by a signal', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const)('%s: no partial file is left, the file is untouched, exit 128 + signal', (signal) =>
    inTemp(async (dir) => {
      const out = join(dir, 'drift.jsonl');
      writeFileSync(out, 'old\n');
      const child = spawn(process.execPath, [BIN, ...LONG, '--out', out], { stdio: 'ignore' });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
      // The temporary file exists from the start of the run: wait for it, then interrupt.
      for (let i = 0; i < 1000 && !readdirSync(dir).some((f) => f.endsWith('.partial')); i++) await new Promise((r) => setTimeout(r, 10));
      expect(readdirSync(dir).some((f) => f.endsWith('.partial'))).toBe(true);
      child.kill(signal);
      expect(await exited).toEqual({ code: 128 + constants.signals[signal], signal: null });
      expect(readdirSync(dir)).toEqual(['drift.jsonl']);
      expect(readFileSync(out, 'utf8')).toBe('old\n');
    })(),
  );
});
