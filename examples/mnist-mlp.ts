// An MLP classifier for the MNIST digits: 784-256-256-10 with ReLU, softmax cross-entropy on
// the logits and Adam, trained with validation and early stopping on an 8:1:1 split.

import { MNIST_PIXELS, adam, compileTraining, fit, graph, init, mnistSplits } from '../src/index.js';
import type { EpochLog, Graph, Trainer, BackendName } from '../src/index.js';

/** x: pixels in [0, 1] [B, 784]; y: the digit, i32 [B]. */
export function mnistMlpGraph(hidden: readonly number[] = [256, 256]): Graph {
  return graph('mnist_mlp', (b) => {
    const x = b.input('x', 'f32', ['B', MNIST_PIXELS]);
    const y = b.input('y', 'i32', ['B']);
    let h = x;
    let width = MNIST_PIXELS;
    hidden.forEach((units, i) => {
      // He initialization keeps the activations' scale through ReLU layers.
      const w = b.param(`w${i + 1}`, 'f32', [width, units], init.heNormal());
      const bias = b.param(`b${i + 1}`, 'f32', [units]);
      h = h.matmul(w).add(bias).relu();
      width = units;
    });
    const w = b.param(`w${hidden.length + 1}`, 'f32', [width, 10]);
    const bias = b.param(`b${hidden.length + 1}`, 'f32', [10]);
    const logits = h.matmul(w).add(bias);
    b.output('loss', b.op('softmax_cross_entropy', [logits, y]));
    b.output('accuracy', b.op('accuracy', [logits, y]));
    b.output('logits', logits);
  });
}

export interface MnistOptions {
  /** How many of the 10,000 digits to use, split 8:1:1 (default all). */
  count?: number;
  hidden?: readonly number[];
  epochs?: number;
  batchSize?: number;
  lr?: number;
  /** Epochs without a better validation loss before stopping. */
  patience?: number;
  seed?: number;
  /** Where to train (default: the reference interpreter, the oracle). */
  backend?: BackendName;
  onEpoch?: (log: EpochLog) => void;
}

export interface MnistResult {
  trainer: Trainer;
  history: EpochLog[];
  bestEpoch: number;
  stoppedEarly: boolean;
  test: { loss: number; accuracy: number };
  sizes: { train: number; validation: number; test: number };
  seconds: number;
}

export async function train(options: MnistOptions = {}): Promise<MnistResult> {
  const { count, hidden = [256, 256], epochs = 5, batchSize = 128, lr = 2e-3, patience = 2, seed = 6, backend = 'reference' } = options;
  const started = performance.now();
  const { train: trainSet, validation, test } = mnistSplits({ ...(count === undefined ? {} : { count }), seed });
  const trainer = await compileTraining(mnistMlpGraph(hidden), { backend, optimizer: adam({ lr }), seed });
  const result = await fit(trainer, trainSet, {
    epochs,
    batchSize,
    seed,
    validation,
    earlyStopping: { patience },
    verbose: 0, // main() prints its own epoch lines
    ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
  });
  const scores = await trainer.evaluate(test, { batchSize: 256 });
  return {
    trainer,
    ...result,
    test: { loss: scores.loss!, accuracy: scores.accuracy! },
    sizes: { train: trainSet.size, validation: validation.size, test: test.size },
    seconds: (performance.now() - started) / 1000,
  };
}

async function main(): Promise<void> {
  // `node dist/examples/mnist-mlp.js [backend]`: wasm (the default here), js or reference.
  const backend = (process.argv[2] ?? 'wasm') as BackendName;
  console.log(`MNIST 784-256-256-10 on the ${backend} backend, 5 epochs at most, on the 10,000 digits of the mnist package (8:1:1)`);
  const r = await train({
    backend,
    onEpoch: (log) =>
      console.log(
        `  epoch ${log.epoch + 1}: loss ${log['loss']!.toFixed(4)} accuracy ${(100 * log['accuracy']!).toFixed(1)}%` +
          ` | validation loss ${log['val_loss']!.toFixed(4)} accuracy ${(100 * log['val_accuracy']!).toFixed(1)}% (${log.seconds.toFixed(1)} s)`,
      ),
  });
  const stop = r.stoppedEarly ? `stopped early; kept epoch ${r.bestEpoch + 1}` : `kept epoch ${r.bestEpoch + 1}`;
  console.log(`  ${stop}; test loss ${r.test.loss.toFixed(4)}, accuracy ${(100 * r.test.accuracy).toFixed(1)}% on ${r.sizes.test} digits (${r.seconds.toFixed(1)} s in all)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
