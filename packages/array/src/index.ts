/**
 * `@keraspect/array`: the ground floor every Keraspect package may stand on, with no dependencies
 * (no TF.js): the one n-dimensional array type and its row helpers, the seeded PRNG, and the
 * option descriptions shared by methods, charts and the CLI.
 */
export {
  ArrayError,
  batches,
  concatRows,
  copyRows,
  firstNonFinite,
  formatIndex,
  type NdArray,
  row,
  rowRange,
  rowSize,
  sizeOf,
  takeRows,
  type TypedArray,
} from './ndarray.ts';
export {
  checkOptions,
  describeType,
  type EntryOptionsType,
  type EntryType,
  type EnumType,
  fits,
  formatValue,
  type ListType,
  type NumberType,
  normalizeOptions,
  type ObjectType,
  type OptionSpec,
  type OptionSpecs,
  type OptionType,
  optionProblem,
  t,
  unknownOptions,
} from './options.ts';
export { mulberry32, type Rng, seededRng } from './rng.ts';
