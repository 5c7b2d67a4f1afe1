// Every function and class that src/index.ts exports checks its arguments: a call with one of
// the wrong kind fails with a 'usage' KilnError naming the function and the parameter.

import { describe, expect, it } from 'vitest';

import * as kiln from '../../src/index.js';

const source = 'model m {\n  input x: f32[2]\n  output y = x\n}';
const g = kiln.parse(source);
const ds = kiln.fromArrays({ x: { data: [1, 2, 3] } });
const span = { line: 1, col: 1 };

/** One call with a wrong argument: the parameter it is wrong for, and the arguments. */
type Call = readonly [param: string, args: readonly unknown[]];
/** The wrong calls of one export (`new`: it is a class), or why it has none. */
type Case = { calls: readonly Call[]; new?: true } | { none: string };

const graphOnly = (): Case => ({
  calls: [
    ['g', []],
    ['g', ['m']],
    ['g', [{ name: 'm' }]],
  ],
});

const CASES: Record<string, Case> = {
  graph: {
    calls: [
      ['name', [1, () => undefined]],
      ['body', ['m', {}]],
      ['options', ['m', () => undefined, 'seed']],
      ['options.seed', ['m', () => undefined, { seed: '1' }]],
    ],
  },
  Builder: {
    new: true,
    calls: [
      ['name', [{}]],
      ['options', ['m', 7]],
    ],
  },
  KilnError: {
    new: true,
    calls: [
      ['code', ['oops', 'x']],
      ['detail', ['usage', 3]],
      ['span', ['usage', 'x', 'a.kiln:1:1']],
    ],
  },
  formatSpan: {
    calls: [
      ['span', ['a.kiln']],
      ['span', [{ line: '1', col: 1 }]],
    ],
  },
  KilnRuntimeError: {
    new: true,
    calls: [
      ['code', ['usage', 'x']],
      ['message', ['input', {}]],
    ],
  },
  getOp: {
    calls: [
      ['name', [{ op: 'add' }]],
      ['span', ['add', 3]],
    ],
  },
  isOpName: { calls: [['name', [3]]] },
  verify: {
    calls: [
      ['g', [null]],
      ['locate', [g, 'here']],
    ],
  },
  printGraph: graphOnly(),
  summary: graphOnly(),
  parseGraph: {
    calls: [
      ['text', [g]],
      ['file', ['graph g {}', { file: 'g.ir' }]],
    ],
  },
  graphToJSON: graphOnly(),
  graphFromJSON: { none: 'it takes any value and names the path of what is wrong in it' },
  parseGraphJSON: {
    calls: [
      ['text', [{}]],
      ['file', ['{}', 1]],
    ],
  },
  bindShapes: {
    calls: [
      ['g', ['m']],
      ['shapes', [g, 'B=2']],
    ],
  },
  expandComposites: graphOnly(),
  compile: {
    calls: [
      ['g', ['model.kiln']],
      ['options', [g, 'wasm']],
      ['options.shapes', [g, { shapes: 'B=2' }]],
    ],
  },
  grad: {
    calls: [
      ['g', [undefined]],
      ['options', [g, ['w']]],
    ],
  },
  gradOutputName: { calls: [['value', [1]]] },
  dce: graphOnly(),
  decompose: graphOnly(),
  specialize: {
    calls: [
      ['g', [[]]],
      ['options', [g, 3]],
    ],
  },
  setTrainingMode: {
    calls: [
      ['g', [true]],
      ['training', [g, 'on']],
    ],
  },
  regularize: {
    calls: [
      ['g', [{}, {}]],
      ['reg', [g, 0.1]],
      ['loss', [g, {}, 1]],
    ],
  },
  exportArtifact: {
    calls: [
      ['model', [source, 'dir']],
      ['dir', [g, 1]],
      ['options.outputs', [g, 'dir', { outputs: 'y' }]],
    ],
  },
  compileTraining: {
    calls: [
      ['model', [source, {}]],
      ['options', [g]],
      ['options.optimizer', [g, { optimizer: 'adam' }]],
    ],
  },
  Trainer: {
    new: true,
    calls: [
      ['model', [source, {}]],
      ['options', [g, 'adam']],
    ],
  },
  sgd: {
    calls: [
      ['options', [0.1]],
      ['options', []],
    ],
  },
  adam: { calls: [['options', [0.001]]] },
  adamw: { calls: [['options', ['fast']]] },
  fit: {
    calls: [
      ['trainer', [{}, ds, {}]],
      ['train', [{ step: () => undefined }, [1, 2], {}]],
      ['options', [{ step: () => undefined }, ds, 3]],
      ['options.epochs', [{ step: () => undefined }, ds, { epochs: '3', batchSize: 2 }]],
    ],
  },
  saveModel: {
    calls: [
      ['path', [1, g]],
      ['model', ['m.safetensors', 'm']],
      ['weights', ['m.safetensors', g, 3]],
    ],
  },
  load: { calls: [['path', [{}]]] },
  checkModel: {
    calls: [
      ['source', [1]],
      ['file', [source, { file: 'm.kiln' }]],
      ['options', [source, 'm.kiln', 'x']],
    ],
  },
  formatModel: {
    calls: [
      ['source', [null]],
      ['file', [source, ['m.kiln']]],
    ],
  },
  parseModel: {
    calls: [
      ['source', [Buffer.from(source)]],
      ['file', [source, { file: 'm.kiln' }]],
    ],
  },
  DiagnosticsError: {
    new: true,
    calls: [
      ['diagnostics', ['bad']],
      ['source', [[], 3]],
      ['code', [[], source, 'oops']],
    ],
  },
  formatDiagnostic: {
    calls: [
      ['d', ['bad']],
      ['d', [{ message: 'm' }]],
      ['source', [{ message: 'm', span }, 3]],
    ],
  },
  parse: {
    calls: [
      ['source', [{ source }]],
      ['file', [source, { file: 'm.kiln' }]],
      ['options', [source, 'm.kiln', 'strict']],
      ['options.model', [source, undefined, { model: 2 }]],
    ],
  },
  batchCount: {
    calls: [
      ['ds', [[1, 2], 2]],
      ['batchSize', [ds, '2']],
      ['remainder', [ds, 2, 'truncate']],
    ],
  },
  batches: {
    calls: [
      ['ds', [undefined, 2]],
      ['batchSize', [ds, undefined]],
      ['options', [ds, 2, 'drop']],
      ['options.remainder', [ds, 2, { remainder: 'truncate' }]],
    ],
  },
  fromArrays: {
    calls: [
      ['columns', [[1, 2, 3]]],
      ['columns', []],
    ],
  },
  permutation: {
    calls: [
      ['n', ['5', 1]],
      ['seed', [5, '1']],
    ],
  },
  shuffle: {
    calls: [
      ['ds', [null, 1]],
      ['seed', [ds, {}]],
    ],
  },
  slice: {
    calls: [
      ['ds', [3]],
      ['start', [ds, '0']],
      ['end', [ds, 0, '2']],
    ],
  },
  split: {
    calls: [
      ['ds', ['x', [1]]],
      ['ratios', [ds, 0.5]],
      ['options', [ds, [1], 7]],
    ],
  },
  splitSizes: {
    calls: [
      ['size', ['3', [1]]],
      ['ratios', [3, 1]],
    ],
  },
  take: {
    calls: [
      ['ds', [{}, [0]]],
      ['indices', [ds, 0]],
    ],
  },
  loadCSV: {
    calls: [
      ['path', [{ path: 'a.csv' }]],
      ['options', ['a.csv', ',']],
    ],
  },
  parseCSV: {
    calls: [
      ['text', [Buffer.from('a\n1\n')]],
      ['options', ['a\n1\n', ';']],
      ['options.label', ['a\n1\n', { label: true }]],
    ],
  },
  loadMnist: { calls: [['options', [100]]] },
  mnistDigits: { none: 'it takes no arguments' },
  mnistPackageDir: { calls: [['resolve', ['/']]] },
  mnistSplits: { calls: [['options', [[8, 1, 1]]]] },
};

/** The KilnError a call throws or rejects with; fails when it returns. */
async function refusal(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return e;
  }
  throw new Error('expected a refusal, but the call returned');
}

const exported = Object.entries(kiln as Record<string, unknown>).filter((e): e is [string, (...args: unknown[]) => unknown] => typeof e[1] === 'function');

describe('public API argument checks', () => {
  it('every function and class exported has an entry, and every entry an export', () => {
    expect(exported.map(([name]) => name).sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const [name, fn] of exported) {
    const entry = CASES[name];
    if (!entry || 'none' in entry) continue;
    describe(name, () => {
      entry.calls.forEach(([param, args], k) => {
        it(`refuses a bad '${param}' (call ${k + 1})`, async () => {
          const e = await refusal(() => (entry.new ? new (fn as unknown as new (...a: unknown[]) => unknown)(...args) : fn(...args)));
          expect(e).toBeInstanceOf(kiln.KilnError);
          const err = e as kiln.KilnError;
          expect(err.code).toBe('usage');
          expect(err.message).toContain(`${entry.new ? 'new ' : ''}${name}(`);
          expect(err.message).toContain(`'${param}' must be`);
        });
      });
    });
  }
});

describe('what a refusal says', () => {
  it('parse with an options object for the file: the function, the parameter, what it expected and what it got', () => {
    const e = (() => {
      try {
        kiln.parse(source, { file: 'm.kiln' } as unknown as string);
      } catch (err) {
        return err as kiln.KilnError;
      }
      throw new Error('parse accepted an object for the file');
    })();
    expect(e.message).toBe("parse(source, file?, options?): 'file' must be a string, got an object");
  });

  it('a field of an options object is named with its path', async () => {
    const e = await refusal(() => kiln.compile(g, { shapes: 'B=2' } as unknown as kiln.CompileOptions));
    expect((e as Error).message).toBe(`compile(g, options?): 'options.shapes' must be an object, got the string "B=2"`);
  });

  it('a missing argument is called missing', async () => {
    const e = await refusal(() => (kiln.compileTraining as unknown as (...a: unknown[]) => unknown)(g));
    expect((e as Error).message).toBe("compileTraining(model, options): 'options' must be an options object, but it is missing");
  });

  it('an async function rejects rather than throwing', () => {
    const result = (kiln.compile as unknown as (...a: unknown[]) => unknown)('model.kiln');
    expect(result).toBeInstanceOf(Promise);
    return expect(result).rejects.toThrow("compile(g, options?): 'g' must be a Graph");
  });

  it('wrapped classes keep instanceof and their prototype', () => {
    const e = new kiln.KilnError('usage', 'x');
    expect(e).toBeInstanceOf(kiln.KilnError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('KilnError');
    const b = new kiln.Builder('m');
    expect(b).toBeInstanceOf(kiln.Builder);
    expect(kiln.graph.name).toBe('graph');
  });
});
