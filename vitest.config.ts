import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests each create their own database; two workers match the 2-core machines.
    pool: 'forks',
    maxWorkers: 2,
  },
})
