/** `keraspect/importer`: everything `@keraspect/importer` exports. */
export * from '@keraspect/importer';
