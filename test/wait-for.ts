/**
 * Polls `condition` every `stepMs` until it holds or `timeoutMs` passes; resolves to whether it held.
 * For tests that wait on another process or a socket: a fixed sleep is flaky on a loaded machine
 * (2 shared cores), a bounded poll is not. The caller still asserts the exact value afterwards.
 */
export async function waitFor(condition: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return true;
}
