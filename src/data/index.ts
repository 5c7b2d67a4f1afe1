// Data for training: datasets of named columns, seeded shuffles and splits, batches, CSV and MNIST.

export {
  batchCount,
  batches,
  fromArrays,
  permutation,
  shuffle,
  slice,
  split,
  splitSizes,
  take,
  type Batch,
  type BatchOptions,
  type Column,
  type ColumnData,
  type ColumnDType,
  type ColumnInput,
  type Dataset,
  type Remainder,
} from './dataset.js';
export { loadCSV, parseCSV, type CSVOptions } from './csv.js';
export { loadMnist, mnistDigits, mnistPackageDir, mnistSplits, MNIST_PIXELS, type MnistOptions } from './mnist.js';
