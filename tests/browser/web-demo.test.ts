// The web demo (examples/web) in headless chromium: the page loads Kiln's built modules from
// dist/, trains the MNIST MLP on a subset of the digits and shows the loss falling, the test
// accuracy and the backend it chose. Skips where there is no chromium (fails under KILN_REQUIRE_WEBGPU=1).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSite, pageErrors, type Site } from '../support/browser.js';
import { chromiumPath, describeWhere } from '../support/webgpu.js';

// becomes 'webgpu' when the backend lands
const EXPECTED_BACKEND = 'webgpu';

/** What the page's run reaches (3000 digits, 2 epochs, seed 6: 93.3% here on either machine's wasm). */
const MIN_ACCURACY = 0.85;

const found = chromiumPath();

describeWhere('missing' in found ? found.missing : undefined, 'the web demo in chromium', () => {
  let site: Site | undefined;
  beforeAll(async () => void (site = await openSite((found as { path: string }).path)), 60_000);
  afterAll(() => site?.close());

  it('trains the MNIST MLP: the loss falls, the test accuracy is high, on the backend expected, without errors', async () => {
    const page = await site!.browser.newPage();
    const errors = pageErrors(page);
    await page.goto(`${site!.url}/examples/web/`);
    const demo = page.locator('#demo');
    // Done or failed; a module that did not load leaves it 'loading' (the errors say why).
    await page
      .locator('#demo[data-state=done], #demo[data-state=error]')
      .waitFor({ timeout: 75_000 })
      .catch((e: Error) => {
        throw new Error(`the page did not finish: ${e.message.split('\n')[0]}; errors: ${errors.join('; ') || 'none'}`);
      });
    const shown = await page.locator('#error').textContent();
    expect(await demo.getAttribute('data-state'), `the page shows: ${shown}`).toBe('done');
    expect(errors).toEqual([]);
    // The server's COOP/COEP headers isolate the page, so SharedArrayBuffer (Wasm threads) exists.
    expect(await page.evaluate('crossOriginIsolated && typeof SharedArrayBuffer')).toBe('function');

    // The WebGPU stack works in this chromium: navigator.gpu gives an adapter.
    expect(await demo.getAttribute('data-adapter')).toBe('true');
    const backend = await demo.getAttribute('data-backend');
    expect(backend).toBe(EXPECTED_BACKEND);
    expect(await page.locator('#backend').textContent()).toBe(backend);

    const losses = (await demo.getAttribute('data-losses'))!.split(',').map(Number);
    expect(losses.length).toBe(30); // 150 steps, a point per 5
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 2);
    expect(await page.locator('#curve polyline').count()).toBe(1);

    expect(Number(await demo.getAttribute('data-accuracy'))).toBeGreaterThan(MIN_ACCURACY);
    expect(await page.locator('#accuracy').textContent()).toMatch(/^\d+\.\d% .* on 300 test digits$/);
  }, 90_000);
});
