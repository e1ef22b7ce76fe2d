/**
 * One line of the `eval` protocol in, one line out (spec §11). Blank and `#` lines
 * give an empty line; every failure gives `ERR <code> [detail]`, never an exception.
 */
import type { KvmclockApi } from '../api.js';
import { ArgumentRangeError, isKvmclockError } from '../errors.js';
import { KernelProfile } from '../kernel/profile.js';
import { ARG_RANGE, COMMANDS_BY_NAME, type Token } from './commands.js';

/** Longest token echoed back in an error line; longer ones are cut and marked with their length. */
const MAX_ECHO = 64;

/** A token as an error line echoes it: cut to MAX_ECHO characters, with its full length. */
function echo(token: string): string {
  return token.length <= MAX_ECHO ? token : `${token.slice(0, MAX_ECHO)}…(${token.length} characters)`;
}

const DECIMAL = /^-?[0-9]+$/;
const HEX = /^-?0[xX][0-9a-fA-F]+$/;

/** Parse a protocol integer: decimal, or hex with a 0x prefix; a leading `-` allowed. */
export function parseProtocolInt(token: string): bigint | undefined {
  if (DECIMAL.test(token)) return BigInt(token);
  if (HEX.test(token)) return token.startsWith('-') ? -BigInt(token.slice(1)) : BigInt(token);
  return undefined;
}

/** Format output tokens: decimal integers, 0/1 for booleans, `-` for "not written". */
export function formatTokens(tokens: readonly Token[]): string {
  return tokens.map((t) => (t === null ? '-' : typeof t === 'boolean' ? (t ? '1' : '0') : String(t))).join(' ');
}

/** Evaluate one protocol line against an API. Never throws for bad input. */
export function evalLine(api: KvmclockApi, line: string): string {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return '';
  const [name, ...rest] = text.split(/\s+/);
  const command = COMMANDS_BY_NAME.get(name);
  if (command === undefined) return `ERR unknown ${echo(name)}`;
  if (rest.length !== command.args.length) return `ERR arity ${command.args.length}`;
  const values: bigint[] = [];
  let profile = KernelProfile.baseline;
  for (let i = 0; i < rest.length; i++) {
    const kind = command.args[i][1];
    if (kind === 'profile') {
      try {
        profile = KernelProfile.parse(rest[i]);
      } catch {
        return 'ERR profile';
      }
      continue;
    }
    const v = parseProtocolInt(rest[i]);
    if (v === undefined) return `ERR syntax arg${i + 1}`;
    const [min, max] = ARG_RANGE[kind];
    if (v < min || v > max) return `ERR range arg${i + 1}`;
    values.push(v);
  }
  try {
    return formatTokens(command.run(api, values, profile));
  } catch (e) {
    if (e instanceof ArgumentRangeError) {
      // A value inside its C type that the kernel cannot take (e.g. a clocksource freq of 0).
      const index = command.args.findIndex(([argName]) => argName === e.argument);
      return index < 0 ? 'ERR range' : `ERR range arg${index + 1}`;
    }
    if (isKvmclockError(e) && e.code !== 'internal') {
      const { value, reason } = e as { value?: bigint; reason?: string };
      const detail = value ?? (e.code === 'invalid' ? reason : undefined);
      return detail === undefined ? `ERR ${e.code}` : `ERR ${e.code} ${detail}`;
    }
    throw e;
  }
}
