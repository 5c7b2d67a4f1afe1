// ESLint flat config: typescript-eslint's recommended type-aware rules over the whole tree,
// size limits for the library code, and prettier left to format (no stylistic rules here).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Blank lines and comments do not count towards the size limits.
const sized = { skipBlankLines: true, skipComments: true };

export default defineConfig(
  // Build output (the runtime package's too), installed packages, coverage reports and what the README's commands write (out/) are not source.
  globalIgnores(['dist/', 'packages/*/dist/', 'node_modules/', 'coverage/', 'out/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Every .ts file is in tsconfig.json's include, so the project service finds it there.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Indexed lookups are asserted with `!` on purpose, as if noUncheckedIndexedAccess were on; with it off this rule flags every one (~1300 hits).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // `_`-named bindings are deliberate, as tsc's noUnusedLocals allows: `{ span: _span, ...rest }` drops a key, `(_x, g) =>` keeps a callback's shape.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // Every file small enough to read whole.
    files: ['**/*.ts'],
    rules: { 'max-lines': ['error', { max: 600, ...sized }] },
  },
  {
    // Functions too, in the library, the runtime and the benchmarks (not tests/, whose describe
    // blocks are long by nature).
    files: ['src/**/*.ts', 'runtime/**/*.ts', 'bench/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, ...sized }] },
  },
  {
    // Plain JavaScript (the bin launcher, this file) is outside tsconfig.json: no type information for it.
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly' } },
  },
);
