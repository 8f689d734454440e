/**
 * Per-site Terraform state backend: GCS for the GKE site (shared by the
 * operators deploying it), a local file by default.
 */
import * as path from 'path';
import { GcsBackend, LocalBackend, TerraformStack } from 'cdktf';
import type { Site } from '../config/schema';

export function configureBackend(stack: TerraformStack, site: Site, stackName: string): void {
  const backend = site.backend;
  if (backend.kind === 'gcs') {
    new GcsBackend(stack, { bucket: backend.bucket, prefix: `${backend.prefix}/${stackName}` });
  } else {
    // Relative to the stack's working directory (cdktf.out/stacks/<stack>), so state stays at the project root.
    const dir = backend.dir ?? path.join('..', '..', '..', 'state');
    new LocalBackend(stack, { path: path.join(dir, `${stackName}.tfstate`) });
  }
}
