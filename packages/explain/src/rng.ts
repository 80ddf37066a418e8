/**
 * The seeded PRNG (mulberry32 with Box–Muller normals) lives in `@keraspect/array`, shared by every
 * package; explain re-exports it. Noise is drawn in JavaScript rather than with `tf.randomNormal`,
 * so results are identical on every backend.
 */
export { type Rng, seededRng } from '@keraspect/array';
