/**
 * `kvmclock eval`: the line protocol of spec §11 on stdin → one result line per input
 * line on stdout. Streams: lines are read, evaluated and written in bounded batches,
 * waiting for stdout to drain, so memory stays flat whatever the input size.
 */
import type { Readable, Writable } from 'node:stream';
import { kvmclock } from '../../index.js';
import { evalLine } from '../../protocol/eval-line.js';
import type { CliCommand } from '../command.js';
import { backendOption, parseOptions } from '../options.js';
import { streamWriter } from '../stream-writer.js';

const HELP = `usage: kvmclock eval [--backend wasm|reference] < commands.txt

Reads one command per line (whitespace-separated integers; 0x for hex, - for signed
arguments), writes exactly one line per input line: the results, "ERR <code> [value]",
or an empty line for blank and # lines. Commands and arguments: see the README.`;

const FLUSH_LINES = 4096;

/**
 * The lines of a text stream, split at LF only (a CR before the LF is dropped; a lone CR stays
 * inside its line, where it counts as whitespace), so every input line gets one output line.
 * Linear in the input: each chunk is searched once, and a line that spans chunks is kept as
 * its pieces until its end arrives (a 100 MB line is not re-scanned per chunk).
 */
export async function* lines(input: Readable): AsyncGenerator<string> {
  input.setEncoding('utf8');
  let pieces: string[] = [];
  const strip = (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line);
  for await (const chunk of input as AsyncIterable<string>) {
    let start = 0;
    for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', start)) {
      const tail = chunk.slice(start, i);
      if (pieces.length === 0) {
        yield strip(tail);
      } else {
        pieces.push(tail);
        const line = pieces.join('');
        pieces = [];
        yield strip(line);
      }
      start = i + 1;
    }
    if (start < chunk.length) pieces.push(chunk.slice(start));
  }
  if (pieces.length > 0) yield strip(pieces.join(''));
}

/**
 * Evaluate a stream of protocol lines onto an output stream. Writes wait for the output to
 * drain; an output error (EPIPE when the reader went away) rejects, which ends the input loop.
 */
export async function evalStream(input: Readable, output: Writable, backend: 'wasm' | 'reference'): Promise<void> {
  const api = kvmclock(backend);
  const write = streamWriter(output);
  let pending: string[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const chunk = `${pending.join('\n')}\n`;
    pending = [];
    await write(chunk);
  };
  for await (const line of lines(input)) {
    pending.push(evalLine(api, line));
    if (pending.length >= FLUSH_LINES) await flush();
  }
  await flush();
}

export const evalCommand: CliCommand = {
  name: 'eval',
  async run(argv) {
    const { values } = parseOptions(argv, { backend: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    await evalStream(process.stdin, process.stdout, backendOption(values.backend));
    return 0;
  },
};
