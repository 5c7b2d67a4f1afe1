#!/usr/bin/env node
// Entry point of the `kiln` command: runs the compiled CLI from dist/, with stack locations
// mapped back to the TypeScript sources.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const cli = new URL('../dist/src/cli/main.js', import.meta.url);
// The package ships dist/; a checkout of the repository has it once built.
if (!existsSync(cli)) {
  process.stderr.write('kiln: dist/ is not built: run `npm run build` (npm ci and npm pack build it too)\n');
  process.exit(1);
}
process.setSourceMapsEnabled(true);
// A closed pipe (`kiln ops | head`) ends the command quietly.
process.stdout.on('error', (e) => process.exit(e.code === 'EPIPE' ? 0 : 1));
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
