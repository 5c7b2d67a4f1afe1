// The optimizer descriptions, as the training API offers them; they are defined beside the
// optimizer pass (src/passes/optimizers.ts), which a pass may import and src/train may not be.

export { adam, adamw, describeOptimizer, sgd } from '../passes/optimizers.js';
export type { AdamOptimizer, Optimizer, SgdOptimizer } from '../passes/optimizers.js';
