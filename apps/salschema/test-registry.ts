/** Test helpers for the register/check suites: an in-memory registry and captured CLI output. */
import type { Compatibility, LatestSchema, Registry } from '../lib/registry';
import { explainIncompatibility } from '../lib/sal/register';

/** In-memory registry with the Registry interface (compatibility checked with avsc rules). */
export function fakeRegistry(level: Compatibility = 'BACKWARD'): Registry & { subjects: Map<string, LatestSchema[]> } {
  const subjects = new Map<string, LatestSchema[]>();
  let nextId = 1;
  const r: Partial<Registry> & { subjects: typeof subjects } = {
    subjects,
    url: 'fake://registry',
    latest: async (s) => subjects.get(s)?.at(-1),
    listSubjects: async () => [...subjects.keys()],
    lookup: async (s, schema) => subjects.get(s)?.find((v) => JSON.stringify(v.schema) === JSON.stringify(schema))?.id,
    compatibility: async () => level,
    testCompatibility: async (s, schema) => {
      const prev = subjects.get(s)?.at(-1);
      return { compatible: !prev || explainIncompatibility(prev.schema, schema as never, level).length === 0, messages: [] };
    },
    register: async (s, schema, o) => {
      const versions = subjects.get(s) ?? [];
      const text = JSON.stringify(schema);
      const same = versions.find((v) => JSON.stringify(v.schema) === text);
      if (same) return same.id;
      const prev = versions.at(-1);
      if (prev && explainIncompatibility(prev.schema, schema as never, o?.compatibility ?? level).length) {
        throw Object.assign(new Error(`schema for subject ${s} is incompatible`), { status: 409 });
      }
      const v = { id: nextId++, version: versions.length + 1, schema: JSON.parse(text) };
      subjects.set(s, [...versions, v]);
      return v.id;
    },
  };
  return r as Registry & { subjects: typeof subjects };
}

/** Lines a CLI run writes to out and err. */
export const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
};
