import type { KerasModel } from '@keraspect/importer';

/** Things a user is likely to misread about this model: the importer's warnings, then the CLI's own. */
export function warnings(km: KerasModel): string[] {
  const out: string[] = km.warnings.map((w) => w.message);
  for (const shape of km.inputShapes) {
    if (km.attentionLayers.length && shape.length === 3 && shape[1] === 1) {
      out.push(
        'The input has a sequence length of 1: every attention weight over time is exactly 1, so attention maps carry no information.',
      );
    }
  }
  return out;
}
