/**
 * Writing to a stream with backpressure, where a failing stream (EPIPE when the reader of
 * `kvmclock … | head` went away, a full disk) rejects the pending and every later write
 * instead of emitting an unhandled 'error' event. One writer per stream, shared by every
 * caller, so the first error is remembered wherever it is noticed.
 */
import type { Writable } from 'node:stream';

/** Writes text, or bytes already encoded as UTF-8 (the sweep workers' output), with backpressure. */
export type WriteText = (text: string | Uint8Array) => Promise<void>;

const writers = new WeakMap<Writable, WriteText>();

/** The writer of `stream` (created on first use; it also listens for the stream's errors). */
export function streamWriter(stream: Writable): WriteText {
  const known = writers.get(stream);
  if (known !== undefined) return known;
  let failed: Error | undefined;
  const waiting = new Set<(e: Error) => void>();
  stream.on('error', (e: Error) => {
    failed ??= e;
    for (const reject of waiting) reject(e);
    waiting.clear();
  });
  const write: WriteText = (text) =>
    new Promise<void>((resolve, reject) => {
      if (failed !== undefined) return reject(failed);
      if (stream.destroyed) return reject(Object.assign(new Error('write after the output was closed'), { code: 'EPIPE' }));
      if (stream.write(text)) return resolve();
      const settle = (e?: Error) => {
        waiting.delete(settle);
        stream.off('drain', settle);
        stream.off('close', onClose);
        if (e === undefined) resolve();
        else reject(e);
      };
      const onClose = () => settle(failed ?? Object.assign(new Error('the output was closed'), { code: 'EPIPE' }));
      waiting.add(settle);
      stream.once('drain', settle);
      stream.once('close', onClose);
    });
  writers.set(stream, write);
  return write;
}

/** Standard output's writer. */
export function writeStdout(text: string | Uint8Array): Promise<void> {
  return streamWriter(process.stdout)(text);
}

/**
 * Write lines (each followed by a newline) in batches of about 64 KiB, waiting for the
 * stream to drain: a million-line table never exists as one string.
 */
export async function writeLines(write: WriteText, lines: Iterable<string>): Promise<void> {
  let batch: string[] = [];
  let size = 0;
  for (const line of lines) {
    batch.push(line);
    size += line.length + 1;
    if (size >= 65_536) {
      await write(`${batch.join('\n')}\n`);
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) await write(`${batch.join('\n')}\n`);
}
