// Test settings: every test file under tests/, and the verifier between pipeline stages
// (KILN_VERIFY=1), so a pass that leaves a broken graph fails the test that ran it, by name.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    env: { KILN_VERIFY: '1' },
  },
});
