import { describe, expect, it } from 'vitest';
import { chartKinds, examples, render } from '../src/index.ts';

describe('examples', () => {
  it('has one seeded example per chart kind, each of which renders', () => {
    const ex = examples();
    expect(Object.keys(ex)).toEqual(chartKinds);
    for (const kind of chartKinds) {
      const r = render(kind, ex[kind].data as never, { ...(ex[kind].options as object), scale: 1 } as never);
      expect(r.spec.kind).toBe(kind);
      expect(r.spec.panels.length).toBeGreaterThan(0);
    }
  });

  it('is deterministic', () => {
    expect(render('features1D', examples().features1D.data).spec).toEqual(
      render('features1D', examples().features1D.data).spec,
    );
  });
});
