// The artifact page (examples/web/artifact.html) in headless chromium: the test writes a WebGPU
// artifact of the mnist MLP's inference under out/ (the server serves the repository root), the
// page fetches it, loads it with dist/runtime alone and runs it on its fixed inputs on the page's
// WebGPU adapter; the outputs it shows equal the reference's on the same inputs within 1e-5.
// Skips where there is no chromium (fails under KILN_REQUIRE_WEBGPU=1).

import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { pageInputs } from '../../examples/web/artifact-inputs.js';
import type { Tensor } from '../../runtime/tensor.js';
import { compile, type Executable } from '../../src/compile.js';
import { exportArtifact } from '../../src/export.js';
import { expectClose } from '../backends/agreement.js';
import { requireBuilt } from '../support/built.js';
import { openSite, pageErrors, type Site } from '../support/browser.js';
import { chromiumPath, describeWhere } from '../support/webgpu.js';

const found = chromiumPath();
/** Under out/ (gitignored), which the server reaches; one folder per run, removed after. */
const ARTIFACT = `out/web-artifact-test-${process.pid}`;

describeWhere('missing' in found ? found.missing : undefined, 'the artifact page in chromium', () => {
  let site: Site | undefined;
  let reference: Executable | undefined;

  beforeAll(async () => {
    for (const built of ['dist/examples/web/artifact.js', 'dist/runtime/index.js']) requireBuilt(built);
    const g = mnistMlpGraph([16]);
    reference = await compile(g, { shapes: { B: 4 }, backend: 'reference' });
    await exportArtifact(g, ARTIFACT, { target: 'webgpu', shapes: { B: 4 }, weights: reference.params() });
    site = await openSite((found as { path: string }).path);
  }, 60_000);

  afterAll(async () => {
    await site?.close();
    await rm(ARTIFACT, { recursive: true, force: true });
  });

  it('runs the artifact on WebGPU with the runtime alone: the outputs shown are the reference outputs, without errors', async () => {
    const page = await site!.browser.newPage();
    const errors = pageErrors(page);
    const loaded: string[] = [];
    page.on('request', (r) => void loaded.push(new URL(r.url()).pathname));
    await page.goto(`${site!.url}/examples/web/artifact.html?artifact=/${ARTIFACT}/`);
    await page
      .locator('#page[data-state=done], #page[data-state=error]')
      .waitFor({ timeout: 60_000 })
      .catch((e: Error) => {
        throw new Error(`the page did not finish: ${e.message.split('\n')[0]}; errors: ${errors.join('; ') || 'none'}`);
      });
    const main = page.locator('#page');
    expect(await main.getAttribute('data-state'), `the page shows: ${await page.locator('#error').textContent()}`).toBe('done');
    expect(errors).toEqual([]);
    expect(await main.getAttribute('data-backend')).toBe('webgpu');
    expect(await main.getAttribute('data-adapter')).toBeTruthy();
    expect(await page.locator('#target').textContent()).toBe('webgpu');

    // The page loaded the runtime's modules and the artifact's files, nothing of the compiler.
    const modules = loaded.filter((p) => p.endsWith('.js'));
    expect(modules).toContain('/dist/runtime/index.js');
    expect(modules.filter((p) => !p.startsWith('/dist/runtime/') && !p.startsWith('/dist/examples/web/artifact'))).toEqual([]);
    for (const file of ['manifest.json', 'weights.safetensors', 'kernels.wgsl.json']) expect(loaded).toContain(`/${ARTIFACT}/${file}`);

    const shown = JSON.parse((await main.getAttribute('data-outputs'))!) as Record<string, Tensor>;
    const want = await reference!.run(pageInputs(reference!.inputs));
    expect(Object.keys(shown).sort()).toEqual(Object.keys(want).sort());
    for (const [name, t] of Object.entries(want)) expectClose(name, shown[name]!, t);
    expect(await page.locator('#outputs').textContent()).toMatch(/^logits: f32\[4, 10\] = /m);
    await page.close();
  }, 90_000);
});
