/**
 * Correction for comparing many cells at once.
 *
 * Choice: Holm–Bonferroni (S. Holm, "A simple sequentially rejective multiple test procedure",
 * Scand. J. Statist. 6:65–70, 1979). It controls the family-wise error rate — the chance of even one
 * false "significant" cell — which is what a CI gate needs: one false alarm fails the pull request.
 * Benjamini–Hochberg (J. R. Stat. Soc. B 57:289–300, 1995) controls the false discovery *rate*
 * instead, more powerful but it accepts some false alarms, which is the wrong trade for a gate.
 * Holm is uniformly more powerful than plain Bonferroni and needs no independence assumption.
 *
 * Adjusted p-values as R's `p.adjust(p, "holm")` defines them:
 * sort ascending p(1) <= … <= p(m); adj(i) = max_{j<=i} min(1, (m − j + 1)·p(j)).
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const adjusted = new Array<number>(m).fill(1);
  let running = 0;
  order.forEach(([p, index], j) => {
    running = Math.max(running, Math.min(1, (m - j) * p));
    adjusted[index] = running;
  });
  return adjusted;
}

/**
 * Benjamini–Hochberg adjusted p-values (R's `p.adjust(p, "BH")`), offered for exploratory use
 * (`--correction bh`): adj(i) = min_{j>=i} min(1, m/j · p(j)).
 */
export function benjaminiHochbergAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const adjusted = new Array<number>(m).fill(1);
  let running = 1;
  for (let j = m - 1; j >= 0; j--) {
    const [p, index] = order[j]!;
    running = Math.min(running, Math.min(1, (m / (j + 1)) * p));
    adjusted[index] = running;
  }
  return adjusted;
}

export type Correction = 'holm' | 'bh';

export function adjustPValues(pValues: readonly number[], correction: Correction): number[] {
  return correction === 'holm' ? holmAdjust(pValues) : benjaminiHochbergAdjust(pValues);
}
