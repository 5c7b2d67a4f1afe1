// Tests that run the built package (a child process, the runtime alone) need dist/; `npm ci` builds
// it through `prepare`. Without it they fail with this message instead of skipping themselves.

import { existsSync } from 'node:fs';

export function requireBuilt(path: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm ci runs it)`);
}
