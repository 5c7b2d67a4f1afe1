// File-system helpers shared by checkpoints and artifacts: readable errors and durable renames (Node's fs loads on first use).

/** "ENOENT: no such file or directory" from a Node fs error, without the repeated path. */
export function fsReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code && err.message.startsWith(`${err.code}:`)) return err.message.split(', ')[0]!;
  return err.code ? `${err.code}: ${err.message}` : String(err.message ?? e);
}

// Platforms that cannot open or fsync a directory (Windows, some network file systems) answer with these.
const NO_DIRECTORY_SYNC = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'ENOTSUP', 'EBADF']);

/**
 * Makes renames into `dir` durable where the platform allows fsyncing a directory. Returns the
 * error of a sync that failed for another reason, undefined when done or unsupported.
 */
export async function syncDirectory(dir: string): Promise<unknown> {
  try {
    const { open } = await import('node:fs/promises');
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === undefined || !NO_DIRECTORY_SYNC.has(code)) return e;
  }
  return undefined;
}
