/** `keraspect/viz`: everything `@keraspect/viz` exports. */
export * from '@keraspect/viz';
