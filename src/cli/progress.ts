// `kiln train` reports through the same module as fit(): src/train/progress.ts.

export type { ProgressStream } from '../train/progress.js';
