/** Shared option parsing for CLI commands (node:util parseArgs, no dependency). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { BackendName } from '../backend.js';
import { UsageError } from './command.js';

/** parseArgs in strict mode, with its errors turned into UsageError. */
type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>>;

export function parseOptions<T extends Options>(argv: readonly string[], options: T, allowPositionals = false): Parsed<T> {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals }) as Parsed<T>;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The --backend option: 'wasm' (default) or 'reference'. */
export function backendOption(value: string | undefined): BackendName {
  if (value === undefined || value === 'wasm' || value === 'reference') return value ?? 'wasm';
  throw new UsageError(`--backend expected "wasm" or "reference", got ${JSON.stringify(value)}`);
}
