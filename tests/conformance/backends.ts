// The backends the conformance suite runs on: every backend of the registry, so a new backend
// joins by its entry in src/backends/registry.ts. A backend that needs a device (webgpu) runs
// where one exists, and otherwise skips with the reason, or fails under KILN_REQUIRE_WEBGPU=1.

import { BACKENDS, type BackendName } from '../../src/backends/registry.js';
import { describeOnBackend } from '../support/webgpu.js';

export const CONFORMANCE_BACKENDS = BACKENDS;

/** `describe('<name> backend', ...)` for every backend, each given its name. */
export function describeEachBackend(body: (backend: BackendName) => void): void {
  for (const backend of CONFORMANCE_BACKENDS) describeOnBackend(backend, `${backend} backend`, () => body(backend));
}
