// File-system helpers shared by checkpoints, artifacts and the command line: errors in words and durable renames (Node's fs loads on first use).

// The words for the failures a user's path most often meets; other codes keep Node's own words.
const FS_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'already exists',
  ENOTEMPTY: 'is a directory that is not empty',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
};

/** Why a Node fs call failed, in words ("no such file or directory", "is a directory"): no error code, no repeated path. */
export function fsReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  if (code !== undefined && FS_WORDS[code]) return FS_WORDS[code];
  const message = String(err?.message ?? e);
  // Node words the rest "CODE: description, syscall 'path'": keep the description.
  return code !== undefined && message.startsWith(`${code}: `) ? message.slice(code.length + 2).split(', ')[0]! : message;
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
