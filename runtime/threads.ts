// Worker threads for a threaded Wasm module (generated with `threads` > 1): every thread
// instantiates the same module over one shared memory and calls run(tid) at the same time; the
// module shares each large kernel among them and meets at a barrier around each shared kernel.
// This file starts the workers (Web Workers where the global Worker exists, as in a browser that
// is cross-origin isolated; else Node's worker_threads), wakes them for each run, waits for them,
// and carries a failure on any thread back to the caller. Where there is no shared memory or no
// way to start workers, threadsAvailable() says so and the compiler builds a one-thread module.

import { KilnRuntimeError } from './tensor.js';

/** Byte offsets of the i32 fields of a threaded module's control block (CONTROL_BYTES long). */
export const THREAD_CONTROL = { count: 0, generation: 4, abort: 8, go: 12, done: 16, exit: 20 } as const;
export const CONTROL_BYTES = 64;
export const MAX_THREADS = 64;
/** The custom section in which a threaded module describes itself (JSON of ThreadedModuleInfo). */
export const THREADS_SECTION = 'kiln.threads';

export interface ThreadedModuleInfo {
  threads: number;
  /** Pages of the shared memory the module imports as env.memory. */
  pages: number;
  /** Byte offset of the control block. */
  control: number;
}

/** The part of the WebAssembly API used here (the project's lib settings declare none). */
declare const WebAssembly: { Module: (new (bytes: Uint8Array) => object) & { customSections(module: object, name: string): ArrayBuffer[] } };

/** A module's own description of its threads, or undefined for a one-thread module. */
export function threadedModuleInfo(module: object): ThreadedModuleInfo | undefined {
  const section = WebAssembly.Module.customSections(module, THREADS_SECTION)[0];
  return section ? (JSON.parse(new TextDecoder().decode(section)) as ThreadedModuleInfo) : undefined;
}

/** Threads a module's bytes run on (1 unless generated for more and it had a kernel to share). */
export function moduleThreads(bytes: Uint8Array): number {
  return threadedModuleInfo(new WebAssembly.Module(bytes))?.threads ?? 1;
}

/** What a worker is told: the module, the shared memory, its index, the control block, the host functions as source. */
interface WorkerSetup {
  module: object;
  memory: { buffer: SharedArrayBuffer };
  tid: number;
  control: number;
  imports: [string, string][];
}

/** A started worker: `ready` once it has instantiated the module. */
interface Started {
  ready: Promise<void>;
  /** Lets the process exit while the worker idles (Node). */
  unref(): void;
  terminate(): Promise<unknown>;
}

type Spawn = (setup: WorkerSetup) => Started;

/** The parts of Node's worker_threads.Worker and of the Web's Worker used here (the lib settings declare neither). */
interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  once(event: 'message', f: (x: unknown) => void): void;
  once(event: 'error', f: (e: Error) => void): void;
}
type NodeWorkerCtor = new (code: string, options: { eval: true; workerData: unknown }) => NodeWorker;
interface WebWorker {
  onmessage: ((e: unknown) => void) | null;
  onerror: ((e: unknown) => void) | null;
  postMessage(message: unknown): void;
  terminate(): void;
}
type WebWorkerCtor = new (url: string) => WebWorker;

/** Each worker's loop: instantiate, say ready, then one run(tid) per change of `go` until `exit`. */
const SERVE = `
function serve({ module, memory, tid, control, imports }, ready) {
  const ctl = new Int32Array(memory.buffer, control, ${CONTROL_BYTES / 4});
  const [GO, DONE, ABORT, EXIT, GENERATION] = [${THREAD_CONTROL.go / 4}, ${THREAD_CONTROL.done / 4}, ${THREAD_CONTROL.abort / 4}, ${THREAD_CONTROL.exit / 4}, ${THREAD_CONTROL.generation / 4}];
  const host = Object.fromEntries(imports.map(([name, source]) => [name, (0, eval)(source)]));
  const run = new WebAssembly.Instance(module, { env: { memory }, host }).exports.run;
  let seen = Atomics.load(ctl, GO);
  ready();
  for (;;) {
    Atomics.wait(ctl, GO, seen);
    if (Atomics.load(ctl, EXIT)) break;
    const go = Atomics.load(ctl, GO);
    if (go === seen) continue;
    seen = go;
    try { run(tid); } catch { Atomics.store(ctl, ABORT, 1); Atomics.notify(ctl, GENERATION); }
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
}
`;
const NODE_WORKER_SOURCE = `${SERVE}
const { parentPort, workerData } = require('node:worker_threads');
serve(workerData, () => parentPort.postMessage('ready'));
`;
const WEB_WORKER_SOURCE = `${SERVE}
self.onmessage = (e) => serve(e.data, () => self.postMessage('ready'));
`;

/**
 * How this environment starts workers, or undefined where it cannot run a threaded module (no
 * shared memory): Web Workers where the global Worker exists (browsers, when cross-origin
 * isolated), else Node's worker_threads.
 */
async function spawner(): Promise<Spawn | undefined> {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return undefined;
  const Web = (globalThis as { Worker?: WebWorkerCtor }).Worker;
  if (typeof Web === 'function') {
    let url: string | undefined; // one script URL for the workers of a pool, made on the first
    return (setup) => {
      url ??= URL.createObjectURL(new Blob([WEB_WORKER_SOURCE], { type: 'text/javascript' }));
      const w = new Web(url);
      const ready = new Promise<void>(
        (resolve, reject) => ((w.onmessage = () => resolve()), (w.onerror = (e) => reject(e instanceof Error ? e : new Error('threads: a worker failed to start', { cause: e })))),
      );
      w.postMessage(setup);
      return {
        ready,
        unref: () => undefined,
        terminate: () => {
          w.terminate();
          return Promise.resolve();
        },
      };
    };
  }
  let Node: NodeWorkerCtor;
  try {
    const specifier = 'node:worker_threads'; // kept out of bundlers' static view: browsers have none
    Node = ((await import(specifier)) as { Worker: NodeWorkerCtor }).Worker;
  } catch {
    return undefined;
  }
  return (setup) => {
    const w = new Node(NODE_WORKER_SOURCE, { eval: true, workerData: setup });
    const ready = new Promise<void>((resolve, reject) => (w.once('message', () => resolve()), w.once('error', (e) => reject(e))));
    return { ready, unref: () => w.unref(), terminate: () => w.terminate() };
  };
}

/** Whether this environment can run threaded modules (shared memory, and Web Workers or Node's worker_threads). */
export async function threadsAvailable(): Promise<boolean> {
  return (await spawner()) !== undefined;
}

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // returns at once: the value is 0
    return true;
  } catch {
    return false;
  }
}

/** Threads 1..T-1 of a threaded module; thread 0 is the caller's. */
export class ThreadPool {
  private readonly blocking = canBlock();

  private constructor(
    private readonly workers: Started[],
    private readonly ctl: Int32Array,
  ) {}

  /**
   * Starts the workers and waits until each has instantiated the module. `imports` are the
   * module's host functions as source text (functions cannot cross threads); workers never call
   * the range-error functions, because kernels that can fail run on thread 0 alone.
   */
  static async start(module: object, memory: { buffer: SharedArrayBuffer }, info: ThreadedModuleInfo, imports: [string, string][]): Promise<ThreadPool> {
    const spawn = (await spawner()) ?? fail('threads: this environment has no worker threads or shared memory');
    const workers: Started[] = [];
    for (let tid = 1; tid < info.threads; tid++) workers.push(spawn({ module, memory, tid, control: info.control, imports }));
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.unref(); // an idle pool must not keep the process alive
    return new ThreadPool(workers, new Int32Array(memory.buffer, info.control, CONTROL_BYTES / 4));
  }

  /** Runs `main` as thread 0 while the workers run theirs; returns when all are done. */
  run(main: () => void): void {
    const ctl = this.ctl;
    const at = (field: keyof typeof THREAD_CONTROL): number => THREAD_CONTROL[field] / 4;
    Atomics.store(ctl, at('abort'), 0);
    Atomics.store(ctl, at('done'), 0);
    Atomics.store(ctl, at('count'), 0);
    Atomics.add(ctl, at('go'), 1);
    Atomics.notify(ctl, at('go'));
    try {
      main();
    } catch (e) {
      Atomics.store(ctl, at('abort'), 1); // releases the others from their barrier, sleeping or not
      Atomics.notify(ctl, at('generation'));
      throw e; // once the workers are done (finally)
    } finally {
      // A browser's main thread may not block: it spins on the count instead.
      for (let done = Atomics.load(ctl, at('done')); done < this.workers.length; done = Atomics.load(ctl, at('done'))) if (this.blocking) Atomics.wait(ctl, at('done'), done);
    }
    if (Atomics.load(ctl, at('abort'))) fail('threads: a worker thread failed during the run');
  }

  /** Stops the workers. */
  async terminate(): Promise<void> {
    Atomics.store(this.ctl, THREAD_CONTROL.exit / 4, 1);
    Atomics.notify(this.ctl, THREAD_CONTROL.go / 4);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function fail(message: string): never {
  throw new KilnRuntimeError('runtime', message);
}
