import { describe, expect, it } from 'vitest';
import { SUITES } from '../../harness/suites.js';
import { validationSuite } from '../../harness/calibrate/validation-suite.js';
import { loadWorkload, WORKLOAD_NAMES } from '../../workloads/registry.js';

describe('workload registry (loaded on demand)', () => {
  it('loads every registered workload under its own name', async () => {
    for (const name of WORKLOAD_NAMES) expect((await loadWorkload(name))?.name).toBe(name);
  });

  it('has a workload for every suite, and nothing for an unknown name', async () => {
    for (const suite of [...SUITES, validationSuite]) expect(WORKLOAD_NAMES, suite.name).toContain(suite.workload);
    expect(await loadWorkload('no-such-workload')).toBeUndefined();
  });
});
