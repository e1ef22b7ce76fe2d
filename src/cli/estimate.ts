/**
 * Enormous work is announced before it starts, and refused when it cannot finish in any
 * reasonable time unless the user insists (--force): a mistyped range or exponent should
 * cost a second, not a day of CPU and a full disk.
 */
import { describeDurationNs } from '../duration.js';
import { UsageError } from './command.js';

/** Runs estimated longer than this are refused without --force (one hour). */
export const REFUSE_AFTER_S = 3600;
/** Runs estimated at least this long are announced on stderr before they start. */
export const ANNOUNCE_AFTER_S = 10;

export interface WorkEstimate {
  /** The command, for the message prefix ("sweep"). */
  readonly command: string;
  /** The size in words: "100,000,000,000,000 points". */
  readonly size: string;
  /** Estimated wall time in seconds. */
  readonly seconds: number;
  /** Where the estimate comes from: "on 2 workers". */
  readonly basis: string;
  /** How to make it smaller: "narrow the grid or run one --shard at a time". */
  readonly smaller: string;
  /** --force was given. */
  readonly force: boolean;
}

/** Seconds as an approximate duration ("3.20h", "79.3y"). */
export function describeSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'forever';
  return describeDurationNs(BigInt(Math.max(0, Math.round(seconds * 1e9))));
}

/** Announce a long run on stderr, or refuse one longer than {@link REFUSE_AFTER_S} without --force. */
export function announceOrRefuse(e: WorkEstimate): void {
  const about = `${e.size}, estimated ${describeSeconds(e.seconds)} ${e.basis}`;
  if (e.seconds > REFUSE_AFTER_S && !e.force) {
    throw new UsageError(`${about}: more than ${describeSeconds(REFUSE_AFTER_S)}, so not started; ${e.smaller}, or add --force to run it anyway`);
  }
  if (e.seconds >= ANNOUNCE_AFTER_S) process.stderr.write(`kvmclock ${e.command}: ${about}\n`);
}
