/**
 * One line of the `eval` protocol in, one line out (spec §11). Blank and `#` lines
 * give an empty line; every failure gives `ERR <code> [detail]`, never an exception.
 */
import type { KvmclockApi } from '../api.js';
import { ArgumentRangeError, isKvmclockError } from '../errors.js';
import { ARG_RANGE, COMMANDS_BY_NAME, type Token } from './commands.js';

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
  if (command === undefined) return `ERR unknown ${name}`;
  if (rest.length !== command.args.length) return `ERR arity ${command.args.length}`;
  const values: bigint[] = [];
  for (let i = 0; i < rest.length; i++) {
    const v = parseProtocolInt(rest[i]);
    if (v === undefined) return `ERR syntax arg${i + 1}`;
    const [min, max] = ARG_RANGE[command.args[i][1]];
    if (v < min || v > max) return `ERR range arg${i + 1}`;
    values.push(v);
  }
  try {
    return formatTokens(command.run(api, values));
  } catch (e) {
    if (e instanceof ArgumentRangeError) {
      // A value inside its C type that the kernel cannot take (e.g. a clocksource freq of 0).
      const index = command.args.findIndex(([argName]) => argName === e.argument);
      return index < 0 ? 'ERR range' : `ERR range arg${index + 1}`;
    }
    if (isKvmclockError(e) && e.code !== 'internal') {
      const value = (e as { value?: bigint }).value;
      return value === undefined ? `ERR ${e.code}` : `ERR ${e.code} ${value}`;
    }
    throw e;
  }
}
