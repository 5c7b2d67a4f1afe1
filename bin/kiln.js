#!/usr/bin/env node
// Entry point of the `kiln` command: runs the compiled CLI from dist/, with stack locations
// mapped back to the TypeScript sources.
process.setSourceMapsEnabled(true);
// A closed pipe (`kiln ops | head`) ends the command quietly.
process.stdout.on('error', (e) => process.exit(e.code === 'EPIPE' ? 0 : 1));
const { main } = await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
