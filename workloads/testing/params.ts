/** Parameter readers shared by the test-only workloads; a bad value is a configuration error. */
import { WorkloadConfigError, type WorkloadSetup } from '../workload.js';

export function numberParam(setup: WorkloadSetup, name: string, fallback: number, min = 0): number {
  const v = setup.params[name];
  if (v === undefined) return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min) throw new WorkloadConfigError(`param ${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

export function booleanParam(setup: WorkloadSetup, name: string, fallback: boolean): boolean {
  const v = setup.params[name];
  if (v === undefined) return fallback;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new WorkloadConfigError(`param ${name} must be true or false, got ${JSON.stringify(v)}`);
}
