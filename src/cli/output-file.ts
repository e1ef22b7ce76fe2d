/**
 * The one way the CLI writes files (`sweep --out`, the SVG charts and index.html of
 * `--plot`): it never destroys what it should not.
 *
 * - A path that does not exist yet, or a regular file, is written to a temporary sibling
 *   (`<file>.<pid>.partial`, created exclusively) and renamed over the file only once the
 *   output is complete. An existing file keeps its permission bits (and, when we may set
 *   them, its owner and group).
 * - A symbolic link is followed: the link stays, the file it points to gets the content
 *   (written as above, next to that file). A link to nothing is refused.
 * - A file with more than one hard link is filled in place from the complete temporary
 *   copy, so every name sees the new content.
 * - A FIFO or a character device (a terminal, /dev/null) is written in place, never replaced.
 * - A directory, block device or socket is refused, before any work.
 *
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT remove the temporary file (see ./interrupt.ts); a
 * signal that arrives while the finished file is being published waits for that to end.
 */
import { createReadStream, rmSync, type Stats } from 'node:fs';
import { constants, lstat, open, realpath, rm, rename, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from './command.js';
import { onInterrupt, whileCommitting } from './interrupt.js';
import { streamWriter, type WriteText } from './stream-writer.js';

/** What a path turned out to be, after following symbolic links. */
export type OutputTarget =
  | { readonly kind: 'new'; readonly path: string }
  | { readonly kind: 'file'; readonly path: string; readonly stats: Stats }
  | { readonly kind: 'in-place'; readonly path: string; readonly what: 'FIFO' | 'character device' };

/** An output file being written: write, then commit (publish) or abort (leave the path as it was). */
export interface OutputFile {
  /** The path as the user gave it. */
  readonly path: string;
  readonly target: OutputTarget;
  write(text: string | Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

const code = (e: unknown): unknown => (e as { code?: unknown })?.code;

/**
 * Decide what writing `path` means, or refuse it (UsageError naming `option`), without
 * touching anything. Used before any work so that a bad path costs nothing.
 */
export async function resolveOutputTarget(path: string, option: string): Promise<OutputTarget> {
  const label = `${option} ${path}`;
  const link = await lstat(path).catch((e: unknown) => {
    if (code(e) === 'ENOENT') return undefined;
    throw e;
  });
  if (link === undefined) {
    const parent = await stat(dirname(path)).catch(() => undefined);
    if (!parent?.isDirectory()) throw new UsageError(`${label}: the directory ${dirname(path)} does not exist`);
    return { kind: 'new', path };
  }
  let resolved = path;
  let stats = link;
  if (link.isSymbolicLink()) {
    try {
      resolved = await realpath(path);
      stats = await stat(resolved);
    } catch (e) {
      if (code(e) === 'ENOENT') throw new UsageError(`${label} is a symbolic link to a file that does not exist; give the target's path or create it first`);
      if (code(e) === 'ELOOP') throw new UsageError(`${label} is a symbolic link that loops`);
      throw e;
    }
  }
  if (stats.isDirectory()) throw new UsageError(`${label} is a directory`);
  if (stats.isFile()) return { kind: 'file', path: resolved, stats };
  if (stats.isFIFO()) return { kind: 'in-place', path: resolved, what: 'FIFO' };
  if (stats.isCharacterDevice()) return { kind: 'in-place', path: resolved, what: 'character device' };
  if (stats.isBlockDevice()) throw new UsageError(`${label} is a block device; refusing to write over it`);
  if (stats.isSocket()) throw new UsageError(`${label} is a socket; write to a file, a FIFO or standard output instead`);
  throw new UsageError(`${label} is neither a regular file, a FIFO nor a character device`);
}

/** A temporary sibling that nothing else can have created (O_EXCL), with the target's mode and owner. */
async function createTemporary(target: OutputTarget & { kind: 'new' | 'file' }, creating: (path: string | undefined) => void): Promise<{ path: string; handle: FileHandle }> {
  const dir = dirname(target.path);
  const stem = basename(target.path);
  for (let attempt = 0; ; attempt++) {
    const path = join(dir, `${stem}.${process.pid}${attempt === 0 ? '' : `-${attempt}`}.partial`);
    const mode = target.kind === 'file' ? target.stats.mode & 0o7777 : 0o666;
    let handle: FileHandle;
    creating(path); // before the open, which may create the file before it returns
    try {
      handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    } catch (e) {
      creating(undefined); // not ours (O_EXCL): never to be removed
      if (code(e) === 'EEXIST' && attempt < 100) continue;
      throw e;
    }
    if (target.kind === 'file') {
      try {
        await handle.chmod(mode); // the umask must not narrow or widen an existing file's mode
        const { uid, gid } = target.stats;
        if (uid !== process.getuid?.() || gid !== process.getgid?.()) await handle.chown(uid, gid).catch(() => undefined);
      } catch (e) {
        await handle.close().catch(() => undefined);
        await rm(path, { force: true });
        throw e;
      }
    }
    return { path, handle };
  }
}

/** Copy a finished temporary file into the existing inode (for a file with several hard links). */
async function fillInPlace(from: string, to: string): Promise<void> {
  const handle = await open(to, constants.O_WRONLY | constants.O_NOFOLLOW);
  try {
    let position = 0;
    for await (const chunk of createReadStream(from)) {
      const bytes = chunk as Buffer;
      for (let done = 0; done < bytes.length; ) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    }
    await handle.truncate(position);
  } finally {
    await handle.close();
  }
}

/**
 * Open `path` for output (see the module comment). The path is checked first: a refused
 * path throws UsageError before anything is created.
 */
export async function openOutputFile(path: string, option: string): Promise<OutputFile> {
  const target = await resolveOutputTarget(path, option);
  if (target.kind === 'in-place') {
    const handle = await open(target.path, constants.O_WRONLY | constants.O_NOCTTY);
    const stream = handle.createWriteStream();
    const write = streamWriter(stream);
    const close = () => new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
    return {
      path,
      target,
      write,
      commit: close,
      async abort() {
        stream.destroy();
      },
    };
  }
  // The cleanup is registered before the temporary file exists: a signal at any moment leaves nothing behind.
  let created: string | undefined;
  const unregister = onInterrupt(() => {
    if (created !== undefined) rmSync(created, { force: true });
  });
  let temporary: { path: string; handle: FileHandle };
  try {
    temporary = await createTemporary(target, (path) => (created = path));
  } catch (e) {
    unregister();
    throw e;
  }
  const stream = temporary.handle.createWriteStream();
  const write: WriteText = streamWriter(stream);
  const close = () => new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  let settled = false;
  return {
    path,
    target,
    write,
    async commit() {
      if (settled) return;
      settled = true;
      try {
        await close();
        await whileCommitting(async () => {
          if (target.kind === 'file' && target.stats.nlink > 1) {
            await fillInPlace(temporary.path, target.path);
            await rm(temporary.path, { force: true });
          } else {
            await rename(temporary.path, target.path);
          }
        });
      } catch (e) {
        await rm(temporary.path, { force: true });
        throw e;
      } finally {
        unregister();
      }
    },
    async abort() {
      if (settled) return;
      settled = true;
      stream.destroy();
      await rm(temporary.path, { force: true });
      unregister();
    },
  };
}

/** Write a whole file's content through {@link openOutputFile}. Returns the path as given. */
export async function writeOutputFile(path: string, content: string, option: string): Promise<string> {
  const out = await openOutputFile(path, option);
  try {
    await out.write(content);
    await out.commit();
  } catch (e) {
    await out.abort();
    throw e;
  }
  return path;
}
