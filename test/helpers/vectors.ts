/** Load the kernel-validated vectors of test/fixtures as protocol lines with expected outputs. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface Vector {
  readonly file: string;
  readonly line: number;
  readonly fn: string;
  /** Input values in argument order, as decimal strings. */
  readonly args: readonly string[];
  /** The `eval` input line. */
  readonly input: string;
  /** The expected `eval` output line (`ERR <code> [value|reason]` for errors). */
  readonly expected: string;
}

interface RawVector {
  fn: string;
  in: Record<string, string>;
  out: Record<string, string>;
}

function expectedLine(out: Record<string, string>): string {
  if ('error' in out) {
    const detail = out.value ?? out.reason; // a number (`ERR toolarge <ratio>`) or a word (`ERR invalid unstable`)
    return ['ERR', out.error, ...(detail === undefined ? [] : [detail])].join(' ');
  }
  return Object.values(out).join(' ');
}

/** Every vector of every fixture file, in file order. */
export function loadVectors(): Vector[] {
  const vectors: Vector[] = [];
  for (const file of readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.jsonl')).sort()) {
    const lines = readFileSync(`${FIXTURES_DIR}${file}`, 'utf8').split('\n');
    lines.forEach((text, i) => {
      if (text.trim() === '') return;
      const raw = JSON.parse(text) as RawVector;
      const args = Object.values(raw.in);
      vectors.push({ file, line: i + 1, fn: raw.fn, args, input: `${raw.fn} ${args.join(' ')}`, expected: expectedLine(raw.out) });
    });
  }
  return vectors;
}
