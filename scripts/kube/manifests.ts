/**
 * Our own Kubernetes objects as manifests, from the stacks' synthesized Terraform (cdk.tf.json): each
 * `kubernetes_{namespace,storage_class,config_map,deployment,job}_v1` resource converted the way the
 * kubernetes provider expands it (snake_case blocks → the API's camelCase fields, a list block → a list,
 * a one-element block → an object, the provider's string-typed integers → integers). The converter
 * knows the fields our constructs set and fails on any other, naming it, so nothing we set is dropped
 * on the way; what it produces is then judged by the real API server with strict field validation,
 * which rejects a field name the converter got wrong.
 */

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface StackObject {
  /** `<type>.<name>` in the stack's Terraform. */
  address: string;
  manifest: Manifest;
}

interface Kind {
  apiVersion: string;
  kind: string;
  namespaced: boolean;
  /** The API's plural resource name (for the REST path). */
  plural: string;
}

/** Terraform resource type → Kubernetes kind, in the order the objects are applied. */
export const KINDS: Record<string, Kind> = {
  kubernetes_namespace_v1: { apiVersion: 'v1', kind: 'Namespace', namespaced: false, plural: 'namespaces' },
  kubernetes_storage_class_v1: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', namespaced: false, plural: 'storageclasses' },
  kubernetes_config_map_v1: { apiVersion: 'v1', kind: 'ConfigMap', namespaced: true, plural: 'configmaps' },
  kubernetes_deployment_v1: { apiVersion: 'apps/v1', kind: 'Deployment', namespaced: true, plural: 'deployments' },
  kubernetes_job_v1: { apiVersion: 'batch/v1', kind: 'Job', namespaced: true, plural: 'jobs' },
};

export function kindOf(m: Manifest): Kind {
  const k = Object.values(KINDS).find((x) => x.kind === m.kind && x.apiVersion === m.apiVersion);
  if (!k) throw new Error(`${m.apiVersion} ${m.kind} is not one of the kinds the stacks declare`);
  return k;
}

/** Terraform-only arguments of the resources (not part of the object). */
const TERRAFORM_ONLY = new Set([
  '//',
  'depends_on',
  'lifecycle',
  'provider',
  'count',
  'for_each',
  'timeouts',
  'wait_for_completion',
  'wait_for_rollout',
  'wait_for_default_service_account',
]);

/** Blocks whose values are free-form string maps: their keys are copied, not renamed. */
const MAPS = new Set(['labels', 'annotations', 'data', 'binary_data', 'parameters', 'match_labels', 'limits', 'requests', 'node_selector']);

/** Provider block names that differ from the API field beyond camelCase. */
const RENAMED: Record<string, string> = {
  container: 'containers',
  init_container: 'initContainers',
  volume: 'volumes',
  volume_mount: 'volumeMounts',
  port: 'ports',
  env_from: 'envFrom',
  storage_provisioner: 'provisioner',
  image_pull_secrets: 'imagePullSecrets',
  toleration: 'tolerations',
};

/** Provider blocks that are lists in the API (other blocks are single objects). */
const LISTS = new Set([
  'container',
  'init_container',
  'volume',
  'volume_mount',
  'port',
  'env',
  'env_from',
  'args',
  'command',
  'toleration',
  'image_pull_secrets',
  'mount_options',
]);

/** Fields the provider takes as strings and sends as integers. */
const INTEGERS = new Set([
  'replicas',
  'run_as_user',
  'run_as_group',
  'fs_group',
  'ttl_seconds_after_finished',
  'termination_grace_period_seconds',
]);

/** Every provider field our constructs set, per conversion (anything else fails, naming it). */
const KNOWN = new Set([
  'metadata',
  'name',
  'namespace',
  'spec',
  'template',
  'selector',
  'key',
  'value',
  'value_from',
  'secret_key_ref',
  'config_map_key_ref',
  'secret_ref',
  'config_map_ref',
  'config_map',
  'secret',
  'secret_name',
  'image',
  'liveness_probe',
  'readiness_probe',
  'http_get',
  'path',
  'initial_delay_seconds',
  'period_seconds',
  'failure_threshold',
  'container_port',
  'resources',
  'security_context',
  'run_as_non_root',
  'allow_privilege_escalation',
  'read_only_root_filesystem',
  'mount_path',
  'read_only',
  'restart_policy',
  'backoff_limit',
  'reclaim_policy',
  'volume_binding_mode',
  'allow_volume_expansion',
  'optional',
  'default_mode',
  'service_account_name',
  ...MAPS,
  ...Object.keys(RENAMED),
  ...LISTS,
  ...INTEGERS,
]);

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function toInt(value: unknown, at: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n)) throw new Error(`${at}: expected an integer, got ${JSON.stringify(value)}`);
  return n;
}

/** An int-or-string as the provider sends it (a probe's port "9090" is the number 9090, "metrics" a name). */
const intOrString = (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);

/**
 * A string as Terraform hands it to the provider: `$${` / `%%{` are `${` / `%{`; a live `${…}` would be
 * a value known only at apply, which this judge does not evaluate.
 */
function terraformText(s: string, at: string): string {
  if (/(?<!\$)\$\{|(?<!%)%\{/.test(s.replace(/\$\$\{|%%\{/g, ''))) {
    throw new Error(`${at}: holds a Terraform reference or directive (${s.slice(0, 60)}); only literal objects are judged`);
  }
  return s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

function literalStrings(value: unknown, at: string): unknown {
  if (typeof value === 'string') return terraformText(value, at);
  if (Array.isArray(value)) return value.map((v, i) => literalStrings(v, `${at}[${i}]`));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, literalStrings(v, `${at}.${k}`)]));
  return value;
}

function convert(value: unknown, key: string, at: string): unknown {
  if (MAPS.has(key)) return literalStrings(value, at);
  if (typeof value === 'string') value = terraformText(value, at);
  if (INTEGERS.has(key)) return toInt(value, at);
  if (key === 'port' && typeof value !== 'object') return intOrString(value);
  if (Array.isArray(value)) {
    const items = value.map((v, i) => convert(v, key, `${at}[${i}]`));
    if (LISTS.has(key)) return items;
    // A one-element block list is an object in the API.
    if (items.length > 1) throw new Error(`${at}: ${items.length} ${key} blocks where the API takes one`);
    return items[0];
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (!KNOWN.has(k)) throw new Error(`${at}.${k}: a field the manifest converter does not know; add it to scripts/kube/manifests.ts`);
      // Nothing, an empty list and an empty map are all "not set" in the API (omitempty).
      if (
        v === null ||
        v === undefined ||
        (Array.isArray(v) && v.length === 0) ||
        (MAPS.has(k) && typeof v === 'object' && Object.keys(v).length === 0)
      )
        continue;
      const name = key === 'http_get' && k === 'port' ? 'port' : (RENAMED[k] ?? camel(k));
      out[name] = k === 'port' && key === 'http_get' ? intOrString(v) : convert(v, k, `${at}.${k}`);
    }
    return out;
  }
  return value;
}

/** The object one Terraform resource of ours creates. */
export function toManifest(type: string, name: string, resource: Record<string, unknown>): Manifest {
  const kind = KINDS[type];
  if (!kind) throw new Error(`${type}.${name}: not a Kubernetes object type the stacks declare (${Object.keys(KINDS).join(', ')})`);
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(resource)) {
    if (TERRAFORM_ONLY.has(k) || (MAPS.has(k) && v && typeof v === 'object' && Object.keys(v).length === 0)) continue;
    const converted = convert(v, k, `${type}.${name}.${k}`);
    if (converted !== undefined) body[RENAMED[k] ?? camel(k)] = converted;
  }
  const metadata = body.metadata as Manifest['metadata'] | undefined;
  if (!metadata?.name) throw new Error(`${type}.${name}: no metadata.name`);
  return { apiVersion: kind.apiVersion, kind: kind.kind, ...body, metadata };
}

/** Every object of ours in one stack's cdk.tf.json, namespaces and StorageClasses first. */
export function stackObjects(doc: { resource?: Record<string, Record<string, Record<string, unknown>>> }): StackObject[] {
  const out: StackObject[] = [];
  for (const type of Object.keys(KINDS)) {
    for (const [name, resource] of Object.entries(doc.resource?.[type] ?? {})) {
      out.push({ address: `${type}.${name}`, manifest: toManifest(type, name, resource) });
    }
  }
  return out;
}
