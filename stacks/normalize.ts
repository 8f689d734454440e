/**
 * Normalised form of a synthesized stack, for snapshots and PR diffs: the
 * cdktf bookkeeping ("//" metadata, construct paths) removed and keys sorted,
 * so only what Terraform would act on remains.
 */
export function normalizeStack(tfJson: unknown): unknown {
  if (Array.isArray(tfJson)) return tfJson.map(normalizeStack);
  if (tfJson && typeof tfJson === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(tfJson).sort()) {
      if (key === '//') continue;
      out[key] = normalizeStack((tfJson as Record<string, unknown>)[key]);
    }
    return out;
  }
  return tfJson;
}
