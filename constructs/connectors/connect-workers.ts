/**
 * cp-kafka-connect chart values the connectors need on the workers: the DirectoryConfigProvider
 * (`${dir:...}` references; the EFD Connect image sets it too) and each Secret mounted read-only at
 * `<secretsMountPath>/<secret>`. KafkaPlatform merges them into its `cp-kafka-connect` values.
 */
import { DEFAULT_SECRETS_MOUNT } from '../../config/connectors';

export function connectWorkerValues(
  secrets: readonly string[],
  secretsMountPath = DEFAULT_SECRETS_MOUNT,
): {
  configurationOverrides: Record<string, string>;
  volumes: { name: string; secret: { secretName: string } }[];
  volumeMounts: { name: string; mountPath: string; readOnly: boolean }[];
} {
  const vol = (s: string) => `connector-secret-${s}`.slice(0, 63).replace(/-+$/, '');
  return {
    configurationOverrides: {
      'config.providers': 'dir',
      'config.providers.dir.class': 'org.apache.kafka.common.config.provider.DirectoryConfigProvider',
    },
    volumes: secrets.map((s) => ({ name: vol(s), secret: { secretName: s } })),
    volumeMounts: secrets.map((s) => ({ name: vol(s), mountPath: `${secretsMountPath}/${s}`, readOnly: true })),
  };
}
