/** Every command of the `eval` line protocol (spec §11), by name. */
import { CORE_COMMANDS } from './core-commands.js';
import { MODEL_COMMANDS } from './model-commands.js';
import type { Command } from './types.js';

export type { ArgKind, Command, Token } from './types.js';
export { ARG_RANGE } from './types.js';

export const COMMANDS: readonly Command[] = [...CORE_COMMANDS, ...MODEL_COMMANDS];
export const COMMANDS_BY_NAME: ReadonlyMap<string, Command> = new Map(COMMANDS.map((c) => [c.name, c]));
