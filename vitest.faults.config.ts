// `npm run test:faults`: crash, outage and disk-full tests. They start a private PostgreSQL cluster,
// mount a tmpfs and kill servers, so they run apart from `npm test`, one file at a time, and skip
// (printing why) where they cannot run: not root, no initdb, no mount.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One at a time: each file loads the machine on purpose, and the CI machine has 2 cores.
    fileParallelism: false,
  },
})
