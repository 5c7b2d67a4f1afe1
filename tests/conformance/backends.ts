// The backends the conformance suite runs on; a new backend joins by adding its name here.

export const CONFORMANCE_BACKENDS = ['reference', 'js', 'wasm'] as const;
