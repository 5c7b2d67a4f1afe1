// An MLP classifier for the MNIST digits: 784-256-256-10 with ReLU, softmax cross-entropy on
// the logits and Adam, trained with validation and early stopping on an 8:1:1 split.

import { adam, compileTraining, fit, mnistSplits } from '../src/index.js';
import type { EpochLog, Graph, Trainer, BackendName } from '../src/index.js';
import { mnistMlpGraph } from './mnist-model.js';

export { mnistMlpGraph };

export interface MnistOptions {
  /** How many of the 10,000 digits to use, split 8:1:1 (default all). */
  count?: number;
  hidden?: readonly number[];
  /** Another model of the digits (x: f32[B, 784], y: i32[B]; outputs loss and accuracy) instead of the MLP. */
  graph?: Graph;
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
  const trainer = await compileTraining(options.graph ?? mnistMlpGraph(hidden), { backend, optimizer: adam({ lr }), seed });
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

/** An epoch's line: training and validation loss and accuracy, and its time. */
export function epochLine(log: EpochLog): string {
  const train = `loss ${log['loss']!.toFixed(4)} accuracy ${(100 * log['accuracy']!).toFixed(1)}%`;
  return `  epoch ${log.epoch + 1}: ${train} | validation loss ${log['val_loss']!.toFixed(4)} accuracy ${(100 * log['val_accuracy']!).toFixed(1)}% (${log.seconds.toFixed(1)} s)`;
}

async function main(): Promise<void> {
  // `node dist/examples/mnist-mlp.js [backend]`: wasm (the default here), js or reference.
  const backend = (process.argv[2] ?? 'wasm') as BackendName;
  console.log(`MNIST 784-256-256-10 on the ${backend} backend, 5 epochs at most, on the 10,000 digits of the mnist package (8:1:1)`);
  const r = await train({
    backend,
    onEpoch: (log) => console.log(epochLine(log)),
  });
  const stop = r.stoppedEarly ? `stopped early; kept epoch ${r.bestEpoch + 1}` : `kept epoch ${r.bestEpoch + 1}`;
  console.log(`  ${stop}; test loss ${r.test.loss.toFixed(4)}, accuracy ${(100 * r.test.accuracy).toFixed(1)}% on ${r.sizes.test} digits (${r.seconds.toFixed(1)} s in all)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
