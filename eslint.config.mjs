import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.bench/', '.real-cli/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly', Response: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      // Parse the environment once: only src/settings/env.ts and the entry read it.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings, not process.env (src/settings/env.ts owns the environment).' }],
      // No process.exit in the core: modes return exit codes, the entry sets process.exitCode.
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']", message: 'Return an exit code instead of calling process.exit.' }],
      // One module owns HTTP.
      'no-restricted-globals': ['error', { name: 'fetch', message: 'Use src/refresh/http.ts, the one module that talks HTTP.' }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['src/cli.ts', 'src/settings/env.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['src/refresh/http.ts'],
    rules: { 'no-restricted-globals': 'off' },
  },
);
