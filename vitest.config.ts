import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Children and real peers (dig, openvpn, chromium) need more than the default 5 s.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: keep load tests from starving each other.
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
  },
});
