// The artifact page: fetches a WebGPU artifact (`kiln compile --target webgpu`; by default from
// /out/web-artifact/, or ?artifact=/path/), loads it with the runtime alone (dist/runtime: no
// compiler, no binaryen) on the page's navigator.gpu, runs it on fixed inputs (artifact-inputs.ts)
// and shows the outputs. <main id="page"> carries what tests read: data-state (loading, running,
// done, error), data-backend, data-adapter and data-outputs (JSON: name -> { dtype, shape, data }).

import { WebGpuExecutable, artifactFromObject, createExecutable, type ArtifactManifest } from '../../runtime/index.js';
import { pageInputs } from './artifact-inputs.js';

// The few DOM features the page uses: the build type-checks against Node's types, not the DOM's.
interface PageElement {
  textContent: string | null;
  hidden: boolean;
  setAttribute(name: string, value: string): void;
}
declare const document: { getElementById(id: string): PageElement | null };
declare const location: { search: string; href: string };
declare const window: { addEventListener(type: 'error' | 'unhandledrejection', f: (e: { error?: unknown; reason?: unknown; message?: string }) => void): void };

function element(id: string): PageElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e;
}

const page = element('page');
const show = (id: string, text: string) => (element(id).textContent = text);

/** The bytes of a file of the artifact; a missing file is an error naming it. */
async function bytesOf(url: URL): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function main(): Promise<void> {
  page.setAttribute('data-state', 'running');
  const base = new URL(new URLSearchParams(location.search).get('artifact') ?? '/out/web-artifact/', location.href);
  show('source', base.pathname);
  const manifest = JSON.parse(new TextDecoder().decode(await bytesOf(new URL('manifest.json', base)))) as ArtifactManifest;
  const [weights, code] = await Promise.all([
    manifest.weights ? bytesOf(new URL(manifest.weights.file, base)) : undefined,
    manifest.code ? bytesOf(new URL(manifest.code.file, base)) : undefined,
  ]);
  // Checked as the runtime checks files from disk: the hash over every part, the program, the shaders.
  const artifact = artifactFromObject(manifest, { ...(weights ? { weights } : {}), ...(code ? { code } : {}) }, base.pathname);
  show('target', artifact.target);
  const exe = await createExecutable(artifact);
  const gpu = exe instanceof WebGpuExecutable;
  page.setAttribute('data-backend', gpu ? 'webgpu' : artifact.target);
  if (gpu) {
    page.setAttribute('data-adapter', exe.stats.adapter);
    show('adapter', exe.stats.adapter);
  }
  const inputs = pageInputs(exe.inputs);
  show('inputs', exe.inputs.map((s) => `${s.name}: ${s.dtype}[${s.shape.join(', ')}]`).join(', '));
  const outputs = await exe.run(inputs);
  const shown = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data) }]));
  page.setAttribute('data-outputs', JSON.stringify(shown));
  show(
    'outputs',
    Object.entries(shown)
      .map(([name, t]) => `${name}: ${t.dtype}[${t.shape.join(', ')}] = ${t.data.map((v) => +v.toPrecision(6)).join(' ')}`)
      .join('\n'),
  );
  page.setAttribute('data-state', 'done');
}

function showError(e: unknown): void {
  const error = element('error');
  error.textContent = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  error.hidden = false;
  page.setAttribute('data-state', 'error');
}

window.addEventListener('error', (e) => showError(e.error ?? e.message));
window.addEventListener('unhandledrejection', (e) => showError(e.reason));
main().catch(showError);
