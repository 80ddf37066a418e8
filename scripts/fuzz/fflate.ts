/**
 * fflate, as the importer depends on it (the workspace root does not): the fuzzer re-zips mutated
 * `.keras` files with the same zip library the importer reads them with.
 */
import { createRequire } from 'node:module';

type Fflate = typeof import('../../packages/importer/node_modules/fflate');

const require = createRequire(new URL('../../packages/importer/package.json', import.meta.url));
const fflate = require('fflate') as Fflate;

export const { unzipSync, zipSync, strFromU8, strToU8 } = fflate;
