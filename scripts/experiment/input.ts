/**
 * The experiment's default input: the SAL interface set the project generates itself (1,051 topics
 * shaped like the seed's experiment; apps/salschema/generate.ts), written once under .gen/ts_xml.
 */
import { writeGeneratedTsXml } from '../../apps/salschema/generate';

/** The generated set's sal_interfaces folder (written when missing or out of date). */
export function defaultInterfaces(): string {
  return writeGeneratedTsXml().xmlDir;
}
