/** `keraspect/explain`: everything `@keraspect/explain` exports. */
export * from '@keraspect/explain';
