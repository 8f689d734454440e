/**
 * Compares two synth outputs (cdktf.out folders) the way a reviewer reads a
 * pull request: per stack, the resources added, removed and changed, with the
 * attribute paths that changed, and Helm values as a YAML diff.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createPatch } from 'diff';
import { normalizeStack } from '../stacks/normalize';

export interface ResourceChange {
  address: string;
  /** Attribute paths that differ (e.g. node_config.machine_type). */
  paths: string[];
  /** Unified diffs of Helm `values` documents, when they changed. */
  valuesDiff?: string;
}

export interface StackDiff {
  stack: string;
  status: 'added' | 'removed' | 'changed' | 'unchanged';
  added: string[];
  removed: string[];
  changed: ResourceChange[];
  /** Providers, backend, outputs: non-resource blocks that changed. */
  other: string[];
}

type Json = Record<string, unknown>;

/** Reads every stack of a synth output; an absent folder is an empty synth. */
export function readSynth(outdir: string): Map<string, Json> {
  const stacks = new Map<string, Json>();
  const dir = path.join(outdir, 'stacks');
  if (!fs.existsSync(dir)) return stacks;
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name, 'cdk.tf.json');
    if (fs.existsSync(file)) stacks.set(name, normalizeStack(JSON.parse(fs.readFileSync(file, 'utf8'))) as Json);
  }
  return stacks;
}

/** Resources and data sources of a stack by Terraform address. */
function elements(stack: Json | undefined): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const [block, prefix] of [
    ['resource', ''],
    ['data', 'data.'],
  ] as const) {
    const byType = (stack?.[block] ?? {}) as Record<string, Record<string, Json>>;
    for (const [type, byName] of Object.entries(byType)) {
      for (const [name, attrs] of Object.entries(byName)) out.set(`${prefix}${type}.${name}`, attrs);
    }
  }
  return out;
}

/** Leaf paths whose values differ between a and b. */
export function changedPaths(a: unknown, b: unknown, prefix = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const bothObjects = a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return [prefix || '(value)'];
  const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort((x, y) =>
    Array.isArray(a) ? Number(x) - Number(y) : x.localeCompare(y),
  );
  return keys.flatMap((k) => {
    const p = Array.isArray(a) ? `${prefix}[${k}]` : prefix ? `${prefix}.${k}` : k;
    return changedPaths((a as Json)[k], (b as Json)[k], p);
  });
}

function valuesDiff(address: string, before: Json | undefined, after: Json | undefined): string | undefined {
  const docs = (r: Json | undefined) => ((r?.values as unknown[]) ?? []).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  const a = docs(before).join('---\n');
  const b = docs(after).join('---\n');
  if (a === b) return undefined;
  return createPatch(`${address}.values`, a, b, 'base', 'head', { context: 3 }).split('\n').slice(2).join('\n');
}

export function diffStack(name: string, base: Json | undefined, head: Json | undefined): StackDiff {
  const before = elements(base);
  const after = elements(head);
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed: ResourceChange[] = [];
  for (const [address, attrs] of after) {
    const old = before.get(address);
    if (!old) continue;
    const paths = changedPaths(old, attrs);
    if (!paths.length) continue;
    const change: ResourceChange = { address, paths: paths.map((p) => p.replace(/^values\[\d+\]$/, 'values')) };
    if (address.startsWith('helm_release.')) change.valuesDiff = valuesDiff(address, old, attrs);
    changed.push(change);
  }
  if (added.length || removed.length) {
    for (const address of added.filter((a) => a.startsWith('helm_release.'))) {
      changed.push({ address, paths: [], valuesDiff: valuesDiff(address, undefined, after.get(address)) });
    }
  }
  const other = ['provider', 'terraform', 'output', 'variable', 'locals']
    .flatMap((block) => changedPaths(base?.[block], head?.[block], block))
    .filter((p) => p !== '(value)');
  const status = !base
    ? 'added'
    : !head
      ? 'removed'
      : added.length || removed.length || changed.length || other.length
        ? 'changed'
        : 'unchanged';
  return { stack: name, status, added, removed, changed, other };
}

export function diffSynths(baseDir: string, headDir: string): StackDiff[] {
  const base = readSynth(baseDir);
  const head = readSynth(headDir);
  const names = [...new Set([...base.keys(), ...head.keys()])].sort();
  return names.map((n) => diffStack(n, base.get(n), head.get(n)));
}

/** The review text: one block per stack that changed. */
export function renderDiff(diffs: StackDiff[]): string {
  const lines: string[] = [];
  const changed = diffs.filter((d) => d.status !== 'unchanged');
  lines.push(`Synth diff: ${changed.length} of ${diffs.length} stacks changed`);
  for (const d of changed) {
    lines.push('', `## ${d.stack} (${d.status})`);
    for (const a of d.added) lines.push(`  + ${a}`);
    for (const r of d.removed) lines.push(`  - ${r}`);
    for (const c of d.changed) {
      if (c.paths.length) lines.push(`  ~ ${c.address}`, ...c.paths.map((p) => `      ${p}`));
      if (c.valuesDiff)
        lines.push(
          ...c.valuesDiff
            .split('\n')
            .filter(Boolean)
            .map((l) => `      ${l}`),
        );
    }
    for (const o of d.other) lines.push(`  ~ ${o}`);
  }
  return `${lines.join('\n')}\n`;
}
