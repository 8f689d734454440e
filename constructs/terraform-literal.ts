/**
 * Text that Terraform must hand on as it is. In Terraform's JSON syntax every string is a template:
 * `${…}` is an interpolation and `%{…}` a directive, so the placeholders of other programs written
 * into a resource (Kafka Connect's `${dir:…}` config providers, MirrorMaker's `${topic}`, Telegraf's
 * `${INFLUXDB_USER}`) would be read by Terraform, which fails on them or evaluates them. This is the
 * one place that escapes them (`$${…}`, `%%{…}`, which Terraform turns back into `${…}`, `%{…}`).
 *
 * CDKTF's own tokens (`${TfToken[…]}`, what a construct attribute such as a namespace's name is until
 * the synth) are kept: CDKTF resolves them to Terraform references afterwards, which must stay live.
 * Every path that writes free text into the Terraform (the Helm values, ConfigMap data) goes through
 * here; the synth check (scripts/tf-templates.ts over every site) fails on a path that does not.
 */

/** A CDKTF string token, e.g. `${TfToken[TOKEN.42]}` (cdktf/lib/tokens/private/encoding). */
const CDKTF_TOKEN = /\$\{TfToken\[[\w.-]+\]\}/g;

/** `text` with every `${` and `%{` escaped for Terraform, CDKTF tokens left as they are. */
export function terraformLiteral(text: string): string {
  // (replacement functions: in a replacement string `$$` would mean one `$`)
  const escape = (s: string) => s.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
  let out = '';
  let from = 0;
  for (const m of text.matchAll(CDKTF_TOKEN)) {
    out += escape(text.slice(from, m.index)) + m[0];
    from = m.index + m[0].length;
  }
  return out + escape(text.slice(from));
}

/** Each value of a string map (ConfigMap data) through {@link terraformLiteral}. */
export function terraformLiterals(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, terraformLiteral(v)]));
}

/**
 * What Terraform hands on for a template string from the synth, the inverse of {@link terraformLiteral}:
 * `$${` → `${`, `%%{` → `%{`, and each live interpolation `${expr}` replaced by `resolve(expr)` (a
 * reference whose value the synth already knows). Throws naming the interpolations `resolve` does not
 * know, and on a directive (`%{…}`), which only Terraform can evaluate.
 */
export function terraformTemplateText(text: string, resolve: (expr: string) => string | undefined = () => undefined): string {
  let out = '';
  const unknown: string[] = [];
  for (let i = 0; i < text.length;) {
    if (text.startsWith('$${', i) || text.startsWith('%%{', i)) {
      out += `${text[i]}{`;
      i += 3;
    } else if (text.startsWith('${', i) || text.startsWith('%{', i)) {
      const end = text.indexOf('}', i);
      const expr = text.slice(i + 2, end < 0 ? text.length : end).trim();
      const value = text[i] === '$' ? resolve(expr) : undefined;
      if (value === undefined) unknown.push(`${text[i]}{${expr}}`);
      else out += value;
      i = end < 0 ? text.length : end + 1;
    } else {
      out += text[i++];
    }
  }
  if (unknown.length) throw new Error(`holds Terraform expressions known only at apply time: ${unknown.join(', ')}`);
  return out;
}
