// ESLint flat config: typescript-eslint's recommended rules, plus the type-aware rules that
// catch real bugs in an event-driven controller (promises nobody awaits or that are passed
// where a callback's return value is ignored). Formatting is Prettier's job, not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'src/server/public/', 'coverage/', 'test/artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A `let` read by callbacks before its one assignment (the controller the drivers report to).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // The terminal output and its tests match ANSI escape sequences on purpose.
      'no-control-regex': 'off',
      // podglow's hint errors put what a user needs from the cause into one message (the fix to
      // apply); attaching the cause as well makes pino print it a second time (issue 19).
      'preserve-caught-error': 'off',
    },
  },
);
