/**
 * Bounds of the counts and sizes a site declares, in one place: every count and size has a range,
 * and the message gives it with the unit, so a slip (nodeCount 100000, a 10^9 GB disk) stops at load
 * with the field and its line instead of reaching Terraform or the cluster.
 */
import { z } from 'zod';

/** A count or size: an integer from `min` to `max`; the message gives the range, the unit and the value. */
export function intIn(min: number, max: number, unit: string) {
  return z.number().superRefine((n, ctx) => {
    if (!Number.isInteger(n) || n < min || n > max)
      ctx.addIssue({ code: 'custom', message: `expected an integer from ${min} to ${max} (${unit})` });
  });
}

/** Kubernetes quantities: CPU ("500m", "2") and memory ("512Mi", "8Gi"), parsed to cores and bytes for their bounds. */
const MEMORY_UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
export function quantity(kind: 'cpu' | 'memory') {
  const [pattern, example, min, max, range] =
    kind === 'cpu'
      ? ([/^(\d+(?:\.\d+)?)(m?)$/, '"500m" or "2"', 0.001, 256, 'from 1m to 256 cores'] as const)
      : ([/^(\d+(?:\.\d+)?)(|k|M|G|T|Ki|Mi|Gi|Ti)$/, '"512Mi" or "8Gi"', 2 ** 20, 4 * 2 ** 40, 'from 1Mi to 4Ti'] as const);
  return z.string().superRefine((text, ctx) => {
    const m = pattern.exec(text);
    const value = m ? Number(m[1]) * (kind === 'cpu' ? (m[2] === 'm' ? 1e-3 : 1) : MEMORY_UNITS[m[2]]) : NaN;
    if (!m) ctx.addIssue({ code: 'custom', message: `expected a Kubernetes ${kind} quantity such as ${example}, got "${text}"` });
    else if (value < min || value > max) ctx.addIssue({ code: 'custom', message: `expected ${kind} ${range}, got "${text}"` });
  });
}

/** A JVM heap (-Xms/-Xmx): 128M to 64G. */
export const heap = z.string().superRefine((text, ctx) => {
  const m = /^(\d+)([MG])$/.exec(text);
  const mb = m ? Number(m[1]) * (m[2] === 'G' ? 1024 : 1) : NaN;
  if (!m) ctx.addIssue({ code: 'custom', message: `expected a JVM heap size such as "512M" or "2G", got "${text}"` });
  else if (mb < 128 || mb > 64 * 1024) ctx.addIssue({ code: 'custom', message: `expected a JVM heap from 128M to 64G, got "${text}"` });
});

/** A container's CPU and memory: requests (the invariants require both) and optional limits. */
export const resourcesSchema = z.strictObject({
  requests: z.strictObject({ cpu: quantity('cpu'), memory: quantity('memory') }),
  limits: z.strictObject({ cpu: quantity('cpu').optional(), memory: quantity('memory').optional() }).optional(),
});
