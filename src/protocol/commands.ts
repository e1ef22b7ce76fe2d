/** Every command of the `eval` line protocol (spec §11), by name. */
import { CORE_COMMANDS } from './core-commands.js';
import { MODEL_COMMANDS } from './model-commands.js';
import { GUEST_COMMANDS } from './guest-commands.js';
import { VARIANT_COMMANDS } from './variant-commands.js';
import type { Command } from './types.js';

export type { ArgKind, Command, IntKind, Token } from './types.js';
export { ARG_RANGE } from './types.js';

export const COMMANDS: readonly Command[] = [...CORE_COMMANDS, ...MODEL_COMMANDS, ...VARIANT_COMMANDS, ...GUEST_COMMANDS];
export const COMMANDS_BY_NAME: ReadonlyMap<string, Command> = new Map(COMMANDS.map((c) => [c.name, c]));
