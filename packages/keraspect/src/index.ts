/**
 * `keraspect`: the umbrella package. Installs the `keraspect` command and re-exports the three
 * libraries as namespaces (their names overlap, e.g. both importer and explain have error classes);
 * `keraspect/importer`, `keraspect/explain` and `keraspect/viz` re-export each one flat.
 *
 * @example
 * import { importer, explain } from 'keraspect';
 * const km = await importer.loadModel(bytes);
 *
 * @packageDocumentation
 */
export * as importer from '@keraspect/importer';
export * as explain from '@keraspect/explain';
export * as viz from '@keraspect/viz';
