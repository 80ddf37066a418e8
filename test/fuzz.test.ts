import { describe, expect, it } from 'vitest';
import { runFuzz } from '../scripts/fuzz.ts';
import { fixturesDir } from './support/fixtures.ts';

// A few hundred inputs of the seeded mutation fuzzer (`pnpm fuzz` runs 10 000): every mutated
// fixture must load, or fail with an ImporterError; none may crash the process or hang.
describe.skipIf(!fixturesDir())('fuzzing the importer', () => {
  it('300 mutated fixtures: zero crashes, zero hangs', async () => {
    const s = await runFuzz({ count: 300, seed: 20261127, workers: 2, timeoutMs: 15_000 });
    const failures = s.failures.map(
      (f) =>
        `${f.outcome} #${f.index} ${f.fixture} [${f.mutation}]: ${f.message?.split('\n')[0]} (pnpm fuzz --seed ${s.seed} --only ${f.index})`,
    );
    expect(failures).toEqual([]);
    expect(s.inputs).toBe(300);
    expect(s.crashes + s.hangs).toBe(0);
    // The stream exercises both paths: files that still load, and typed errors.
    expect(s.ok).toBeGreaterThan(30);
    expect(s.typedErrors).toBeGreaterThan(30);
  }, 300_000);
});
