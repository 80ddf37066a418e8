import { fail } from './errors.ts';

/** How the path integral of Integrated Gradients is approximated on [0, 1]. */
export type IntegrationRule = 'left' | 'right' | 'middle' | 'trapezoid' | 'gaussLegendre';

/** Every integration rule, for validation and docs. */
export const integrationRules: readonly IntegrationRule[] = ['left', 'right', 'middle', 'trapezoid', 'gaussLegendre'];

/** Nodes α ∈ [0, 1] and weights (summing to 1) of an n-point rule. */
export interface Quadrature {
  alphas: number[];
  weights: number[];
}

/**
 * The nodes and weights of `rule` with `n` points on [0, 1]. Riemann sums are exact for constant
 * integrands (`middle` and `trapezoid` for linear ones); Gauss–Legendre with n points is exact for
 * polynomials of degree ≤ 2n − 1.
 */
export function quadrature(rule: IntegrationRule, n: number): Quadrature {
  if (!Number.isInteger(n) || n < 1) fail('BAD_OPTION', `steps must be a positive integer; got ${n}.`);
  const range = (k: number) => Array.from({ length: k }, (_, i) => i);
  switch (rule) {
    case 'left':
      return { alphas: range(n).map((i) => i / n), weights: range(n).map(() => 1 / n) };
    case 'right':
      return { alphas: range(n).map((i) => (i + 1) / n), weights: range(n).map(() => 1 / n) };
    case 'middle':
      return { alphas: range(n).map((i) => (i + 0.5) / n), weights: range(n).map(() => 1 / n) };
    case 'trapezoid': {
      if (n < 2) fail('BAD_OPTION', `The trapezoid rule needs steps ≥ 2; got ${n}.`);
      const h = 1 / (n - 1);
      return { alphas: range(n).map((i) => i * h), weights: range(n).map((i) => (i === 0 || i === n - 1 ? h / 2 : h)) };
    }
    case 'gaussLegendre':
      return gaussLegendre(n);
    default:
      return fail(
        'BAD_OPTION',
        `Unknown integration rule '${rule as string}'. Known rules: ${integrationRules.join(', ')}.`,
      );
  }
}

/** Gauss–Legendre nodes by Newton's method on P_n, mapped from [−1, 1] to [0, 1]. */
function gaussLegendre(n: number): Quadrature {
  const alphas: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < n; i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? x : p1;
      const pn1 = n === 1 ? 1 : p0;
      dp = (n * (x * pn - pn1)) / (x * x - 1);
      const dx = pn / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    alphas.push((1 - x) / 2);
    weights.push(1 / ((1 - x * x) * dp * dp));
  }
  return { alphas, weights };
}
