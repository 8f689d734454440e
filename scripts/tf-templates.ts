/**
 * Checks a synthesized Terraform JSON document (cdk.tf.json) the way Terraform reads it: in Terraform's
 * JSON syntax every string value is a template, so `${…}` is an interpolation and `%{…}` a directive;
 * text meant literally (a Kafka Connect `${dir:…}` config provider, a Telegraf `${ENV}`) must be written
 * `$${…}` / `%%{…}`. Each string is parsed as a template with HashiCorp's HCL parser (@cdktf/hcl2json,
 * no Terraform needed), and every reference in it must name something the document declares.
 */

// @cdktf/hcl2json's typings pull in the DOM lib (`/// <reference lib="dom" />`), whose WebAssembly
// declarations clash with the project's: it is required untyped, with what is used typed here.
const hcl2json = require('@cdktf/hcl2json') as {
  parse(filename: string, contents: string): Promise<Record<string, any>>;
  getExpressionAst(filename: string, expression: string): Promise<unknown>;
};
const { findAllReferencesInAst } = require('@cdktf/hcl2json/lib/references') as {
  findAllReferencesInAst(input: string, ast: unknown): { value: string }[];
};

/** Parses HCL source (e.g. a cdk.tf) to its JSON form; rejects with the parser's message when it does not parse. */
export const parseHcl = (filename: string, contents: string) => hcl2json.parse(filename, contents);

export interface TemplateProblem {
  /** JSON path of the string, e.g. `resource.helm_release.kafka.values[0]`. */
  path: string;
  /** What is wrong: a template that does not parse, or a reference to nothing declared. */
  message: string;
}

/** Reference roots Terraform defines itself (`count.index`, `each.value`, `path.module`, …). */
const BUILTIN_ROOTS = new Set(['count', 'each', 'path', 'terraform', 'self']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The names a reference may start with, from the document's declarations. */
function declared(doc: Record<string, Json>): (ref: string) => boolean {
  const keys = (v: Json | undefined) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []);
  const resources = new Set(
    keys(doc.resource).flatMap((type) => keys((doc.resource as Record<string, Json>)[type]).map((name) => `${type}.${name}`)),
  );
  const data = new Set(keys(doc.data).flatMap((type) => keys((doc.data as Record<string, Json>)[type]).map((name) => `${type}.${name}`)));
  const variables = new Set(keys(doc.variable));
  const locals = new Set(keys(doc.locals));
  const modules = new Set(keys(doc.module));
  return (ref) => {
    const [root, a, b] = ref.split('.');
    if (BUILTIN_ROOTS.has(root)) return true;
    if (root === 'var') return variables.has(a);
    if (root === 'local') return locals.has(a);
    if (root === 'module') return modules.has(a);
    if (root === 'data') return data.has(`${a}.${b}`);
    return resources.has(`${root}.${a}`);
  };
}

/**
 * The string as an HCL heredoc: its content is a template with no escapes of its own, just like a
 * Terraform JSON string once JSON has decoded it.
 */
function asHeredoc(text: string): string {
  let marker = 'EFD_TEMPLATE';
  while (text.split('\n').some((line) => line.trim() === marker)) marker += '_';
  return `<<${marker}\n${text}\n${marker}\n`;
}

function* strings(value: Json, path: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield* strings(value[i], `${path}[${i}]`);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '//') continue; // comments (CDKTF metadata), not read by Terraform
      yield* strings(v, path ? `${path}.${k}` : k);
    }
  }
}

/** Problems in every string of `doc` that holds an interpolation or a directive. */
export async function checkTemplates(doc: Record<string, Json>): Promise<TemplateProblem[]> {
  const isDeclared = declared(doc);
  const problems: TemplateProblem[] = [];
  const seen = new Set<string>();
  const add = (p: TemplateProblem) => {
    const key = `${p.path}\0${p.message}`;
    if (!seen.has(key)) problems.push(p);
    seen.add(key);
  };
  for (const [path, text] of strings(doc, '')) {
    if (!/[$%]\{/.test(text)) continue;
    let refs: { value: string }[];
    try {
      const heredoc = asHeredoc(text);
      refs = findAllReferencesInAst(heredoc, await hcl2json.getExpressionAst('cdk.tf.json', heredoc));
    } catch (err) {
      const why = String((err as Error).message ?? err).replace(/^.*?: cdk\.tf\.json:[\d,-]+: /s, '');
      add({ path, message: `not a valid Terraform template (${why.split(';')[0]}): ${excerpt(text, /(?<!\$)\$\{|(?<!%)%\{/)}` });
      continue;
    }
    for (const ref of refs) {
      const root = ref.value.split('.')[0];
      if (!isDeclared(ref.value))
        add({
          path,
          message: `\${${ref.value}} refers to nothing this stack declares: ${excerpt(text, new RegExp(`\\$\\{\\s*${root}\\b`))}`,
        });
    }
  }
  return problems;
}

/** `text` around the first match of `pattern`, on one line. */
function excerpt(text: string, pattern: RegExp): string {
  const at = Math.max(0, text.search(pattern));
  const from = Math.max(0, at - 20);
  return `${from > 0 ? '…' : ''}${text.slice(from, at + 40).replace(/\n/g, '\\n')}${at + 40 < text.length ? '…' : ''}`;
}
