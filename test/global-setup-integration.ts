/**
 * Jest globalSetup of the integration project: the local EFD is made healthy once, before any test file
 * (starting or completing it can take minutes on a busy machine, longer than a file's beforeAll may
 * wait). Each file's useNamespace() then finds it running.
 */
import { ensureStack } from './integration/env';

export default async function globalSetup(): Promise<void> {
  await ensureStack();
}
