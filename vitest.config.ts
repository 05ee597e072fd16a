import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Crash, outage and disk-full tests run with `npm run test:faults` (vitest.faults.config.ts).
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests each create their own database; two workers match the 2-core machines.
    pool: 'forks',
    maxWorkers: 2,
  },
})
