/**
 * The packages only the command line and the worker pool use — piscina (the pool),
 * cli-progress (the progress bar), vega and vega-lite (charts) — are optional peer
 * dependencies: `npm i kvmclock` for the arithmetic installs none of them, a clone after
 * `npm ci` has them all. Where one is needed and missing, the import fails with an
 * EnvironmentError that names it and says how to install it, never with a bare module error.
 */
import { EnvironmentError } from './errors.js';

/** Every optional package, for the install hint. */
export const CLI_PACKAGES = ['piscina', 'cli-progress', 'vega', 'vega-lite'] as const;
export type OptionalPackage = (typeof CLI_PACKAGES)[number];

/** Whether `e` says that `name` itself (not something it imports) could not be found. */
function isMissing(e: unknown, name: string): boolean {
  const code = (e as { code?: unknown })?.code;
  const message = String((e as Error)?.message ?? '');
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && (message.includes(`'${name}'`) || message.includes(`"${name}"`));
}

/** The typed error for a missing optional package; `use` says what needs it. */
export function missingPackage(name: OptionalPackage, use: string, cause?: unknown): EnvironmentError {
  return new EnvironmentError(
    'package',
    `${use} needs the package ${name}, which is not installed. kvmclock's arithmetic needs no package; its command line, worker pool and charts use ${CLI_PACKAGES.join(', ')}: install them beside kvmclock (npm install ${CLI_PACKAGES.join(' ')}), or run the CLI from a clone after npm ci`,
    { cause },
  );
}

/**
 * `import(name)` for an optional package, with a missing one turned into {@link missingPackage}.
 * @example const { Piscina } = await importOptional<typeof import('piscina')>('piscina', 'the worker pool');
 */
export async function importOptional<T>(name: OptionalPackage, use: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (e) {
    if (isMissing(e, name)) throw missingPackage(name, use, e);
    throw e;
  }
}
