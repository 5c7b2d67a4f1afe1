#!/usr/bin/env node
// Entry point of the `kiln` command: runs the compiled CLI from dist/.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
