// The `kiln` command run in this process, its output and errors captured: what the CLI suites call.

import { main } from '../../src/cli/main.js';

export async function kiln(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    argv,
    (s) => (out += s),
    (s) => (err += s),
  );
  return { code, out, err };
}
