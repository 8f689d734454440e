/**
 * The shape of real SAL interfaces, measured on ts_xml and committed as figures (no ts_xml file is
 * carried): the generated interface set (generate.ts) draws its field counts, types, array sizes,
 * enumerations, units and names from here.
 *
 * Provenance: lsst-ts/ts_xml v28.0.1 (commit 9e72b8ad5a38ed78110001e3aaacd58b103574ad, 2026-07-15;
 * `develop` at a724e1ac has the same tree), python/lsst/ts/xml/data/sal_interfaces: 63 subsystems,
 * 3,069 topics as the EFD publishes them (SALGenerics.xml merged per subsystem: 853 generic topics),
 * measured on 2026-12-01 with the project's loader (ts-xml.ts), which read every topic without error.
 * Reproduce: `npx tsx scripts/measure-ts-xml.ts <ts_xml>/python/lsst/ts/xml/data/sal_interfaces`
 * (ts-xml-profile.json is its output as printed; `source` is added by hand, `loaderErrors` becomes
 * `source.leftOut`).
 *
 * Shares are fractions (4 decimals); histograms are `[lo, hi, share]` rows with inclusive bounds;
 * `recordBytes` is the mean SAL text record per kind with salmock's values. The conformance suite
 * (ts-xml-profile.conformance.test.ts) recomputes these on the upstream fixture copy.
 */
import type { TsXmlMeasurement } from './ts-xml-measure';
import type { TopicKind } from '../lib/sal/ts-xml';
import profile from './ts-xml-profile.json';

/** Where the figures come from. */
export interface ProfileSource {
  repository: string;
  tag: string;
  commit: string;
  date: string;
  measured: string;
  subsystems: number;
  topics: number;
  /** Topics the loader rejected, left out of the figures. */
  leftOut: number;
  command: string;
}

/** The committed profile: a {@link TsXmlMeasurement} plus provenance and record sizes. */
export type TsXmlProfile = TsXmlMeasurement & { source: ProfileSource; recordBytes: Record<TopicKind, number> };

export const TS_XML_PROFILE: TsXmlProfile = profile as TsXmlProfile;
