// The backends the conformance suite runs on: every backend of the registry, so a new backend
// joins by its entry in src/backends/registry.ts.

import { BACKENDS } from '../../src/backends/registry.js';

export const CONFORMANCE_BACKENDS = BACKENDS;
