// Whether this machine has a WebGPU adapter (Dawn's Node bindings over a Vulkan driver) and
// a chromium for the browser tests. A suite that needs one skips with the reason printed where
// it is missing, and fails instead when KILN_REQUIRE_WEBGPU=1 (set by .ci/run, which installs both).

import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';

export const REQUIRE_WEBGPU = process.env['KILN_REQUIRE_WEBGPU'] === '1';

/** Why there is no adapter here, or undefined when there is one (probed once, in a child process, so a driver crash fails only the probe). */
function probeAdapter(): string | undefined {
  const probe = `import('webgpu').then(async ({ create }) => {
      const a = await create([]).requestAdapter();
      process.stdout.write(a ? 'ok' : 'none');
      process.exit(0);
    }, (e) => { process.stdout.write('missing: ' + e.message); process.exit(0); });`;
  try {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
    if (out === 'ok') return undefined;
    return out === 'none' ? 'Dawn found no WebGPU adapter (install Mesa 25 with scripts/setup-webgpu.sh)' : `the webgpu package did not load (${out})`;
  } catch (e) {
    return `probing for a WebGPU adapter failed: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** How the browser tests start chromium: headless, WebGPU on (SwiftShader's adapter needs nothing more in chromium 156), quiet. */
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** The chromium binary for the browser tests, or why there is none. */
export function chromiumPath(): { path: string } | { missing: string } {
  for (const path of [process.env['KILN_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (!path) continue;
    try {
      execFileSync(path, ['--version'], { stdio: 'ignore', timeout: 30_000 });
      return { path };
    } catch {
      // try the next
    }
  }
  return { missing: 'no chromium here (install it with scripts/setup-webgpu.sh)' };
}

let adapterReason: string | undefined | null = null;
/** Why WebGPU tests cannot run here, or undefined when they can. */
export function webgpuMissing(): string | undefined {
  if (adapterReason === null) adapterReason = probeAdapter();
  return adapterReason;
}

/**
 * `describe` for a suite that needs what `missing` names: it runs when nothing is missing;
 * otherwise it skips, printing why, or, under KILN_REQUIRE_WEBGPU=1, fails with the reason.
 */
export function describeWhere(missing: string | undefined, name: string, body: () => void): void {
  if (missing === undefined) {
    describe(name, body);
    return;
  }
  if (REQUIRE_WEBGPU) {
    describe(name, () => {
      it('has what it needs (KILN_REQUIRE_WEBGPU=1)', () => {
        throw new Error(`${name}: ${missing}`);
      });
    });
    return;
  }
  console.warn(`skipping '${name}': ${missing}`);
  describe.skip(name, body);
}

/** A suite that runs on Dawn's WebGPU adapter. */
export function describeWebGpu(name: string, body: () => void): void {
  describeWhere(webgpuMissing(), name, body);
}

/** `describe` for a suite on `backend`: describeWebGpu for the backend that needs an adapter. */
export function describeOnBackend(backend: string | undefined, name: string, body: () => void): void {
  if (backend === 'webgpu') describeWebGpu(name, body);
  else describe(name, body);
}
