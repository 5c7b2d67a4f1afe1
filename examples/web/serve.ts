// A static HTTP server for the web demo: the repository root (dist/, node_modules/ for the import
// map, examples/) on 127.0.0.1, with the headers that make the page cross-origin isolated (so
// SharedArrayBuffer, which Wasm threads need, exists). No dependency; paths outside the root are refused.
//
//   node dist/examples/web/serve.js [port]     (default 0: any free port; the URL is printed)

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: dist/examples/web/serve.js lies three folders below it. */
export const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
/** The demo's page, relative to the root. */
export const PAGE = '/examples/web/';
/** The page that runs a WebGPU artifact (out/web-artifact/, or ?artifact=) with the runtime alone. */
export const ARTIFACT_PAGE = '/examples/web/artifact.html';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.mjs': 'application/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ts': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** The file a URL path names under `root`, or undefined when it leaves the root. */
export function fileFor(root: string, urlPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return undefined;
  }
  if (path.includes('\0')) return undefined;
  const file = resolve(root, `.${path.startsWith('/') ? '' : '/'}${path}`);
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

/** Starts the server on 127.0.0.1:port (0: a free port); resolves once it listens. */
export async function serve(port = 0, root = ROOT): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const reply = (status: number, text: string) => {
      res.writeHead(status, { ...ISOLATION, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    const file = fileFor(root, req.url ?? '/');
    if (!file) return reply(403, 'forbidden\n');
    void (async () => {
      let path = file;
      let info = await stat(path).catch(() => undefined);
      if (info?.isDirectory()) {
        path = join(path, 'index.html');
        info = await stat(path).catch(() => undefined);
      }
      if (!info?.isFile()) return reply(404, 'not found\n');
      res.writeHead(200, {
        ...ISOLATION,
        'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
        'Content-Length': info.size,
        'Cache-Control': 'no-cache',
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(path)
        .on('error', () => res.destroy())
        .pipe(res);
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`usage: serve.js [port]; got '${process.argv[2]}'`);
  const { url } = await serve(port);
  console.log(`serving ${ROOT} at ${url}; the demo: ${url}${PAGE}, the artifact page: ${url}${ARTIFACT_PAGE} (npm run web:artifact writes its artifact)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
