// The browser tests' setup: the example server (dist/examples/web/serve.js) on a free port of
// 127.0.0.1 and chromium through playwright-core, and the errors a page reports.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireBuilt } from './built.js';
import { CHROMIUM_FLAGS } from './webgpu.js';

const SERVER = 'dist/examples/web/serve.js';

export interface Site {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/** The server started and chromium (at `executablePath`) launched; close() stops both. */
export async function openSite(executablePath: string): Promise<Site> {
  requireBuilt(SERVER);
  const { serve } = (await import(pathToFileURL(resolve(SERVER)).href)) as typeof import('../../examples/web/serve.js');
  const { server, url } = await serve(0);
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS });
  return {
    url,
    browser,
    close: async () => {
      await browser.close();
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
}

/** The console errors and uncaught errors of `page`, as they come. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(`console: ${m.text()}`)));
  page.on('pageerror', (e) => void errors.push(`page: ${e.message}`));
  return errors;
}
