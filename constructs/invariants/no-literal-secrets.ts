/**
 * No literal secret values in the synthesized configuration: passwords,
 * tokens and keys must come from existing Kubernetes Secrets or from
 * references resolved at apply time, never from strings in the code.
 */
import { parseAllDocuments } from 'yaml';
import { InvariantRule, isLiteralString, ResourceView, walk } from './rule';

/** Attribute names that hold secret material. Names of Secrets (…_secret_name, existing_secret) are fine. */
const SECRET_KEY = /(^|[_.-])(password|passwd|secret|token|private_key|api_key|apikey|access_key|secret_key|credentials?)$/i;
const SECRET_REFERENCE = /(secret_?name|existing_?secret|secret_?ref|secret_?key_?ref|_file|_path|token_?path)$/i;
const SECRET_RESOURCES = new Set(['kubernetes_secret', 'kubernetes_secret_v1', 'kubernetes_secret_v1_data']);

export class NoLiteralSecrets extends InvariantRule {
  readonly id = 'no-literal-secrets';

  protected check(view: ResourceView): string[] {
    const problems = new Set<string>();
    const found = (where: string) =>
      problems.add(
        `${where} holds a literal secret value; reference an existing Kubernetes Secret (by name) or a value resolved at apply time instead`,
      );
    if (SECRET_RESOURCES.has(view.type)) {
      for (const field of ['data', 'binary_data', 'string_data']) {
        const data = view.attrs[field] as Record<string, unknown> | undefined;
        for (const [k, v] of Object.entries(data ?? {})) if (isLiteralString(v)) found(`${field}.${k}`);
      }
    }
    walk(view.attrs, (path, value) => {
      const key = path.split(/[.[]/).pop() ?? '';
      if (SECRET_KEY.test(key) && !SECRET_REFERENCE.test(key) && isLiteralString(value)) found(path);
    });
    if (view.type === 'helm_release') {
      const sensitive = view.attrs.set_sensitive as { name: string; value: unknown }[] | undefined;
      for (const s of sensitive ?? []) if (isLiteralString(s.value)) found(`set_sensitive ${s.name}`);
      const sets = view.attrs.set as { name: string; value: unknown }[] | undefined;
      for (const s of sets ?? []) {
        const leaf = s.name.split('.').pop() ?? '';
        if (SECRET_KEY.test(leaf) && !SECRET_REFERENCE.test(leaf) && isLiteralString(s.value)) found(`set ${s.name}`);
      }
      for (const [i, text] of ((view.attrs.values as unknown[]) ?? []).entries()) {
        if (typeof text !== 'string') continue;
        for (const doc of parseAllDocuments(text)) {
          walk(doc.toJS(), (path, value) => {
            const leaf = path.split(/[.[]/).pop() ?? '';
            if (SECRET_KEY.test(leaf) && !SECRET_REFERENCE.test(leaf) && isLiteralString(value)) found(`values[${i}] ${path}`);
          });
        }
      }
    }
    return [...problems];
  }
}
