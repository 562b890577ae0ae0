/*
 * The two values the Views need from `@opentelemetry/sdk-metrics`, without loading it: importing the SDK
 * package would load about 70 modules (sdk-metrics, resources, core) into every application that imports the
 * core, and the core must stay lighter than one generic instrumentation. Both are plain data the SDK reads
 * structurally, identical on the 2.x and 3.x lines (test/core/metrics-sdk.test.ts compares them with the SDK).
 */
import type { ViewOptions } from '@opentelemetry/sdk-metrics';

type AttributesProcessor = NonNullable<ViewOptions['attributesProcessors']>[number];
type Aggregation = NonNullable<ViewOptions['aggregation']>;

/** `AggregationType.EXPLICIT_BUCKET_HISTOGRAM` of sdk-metrics (a numeric enum, 4 on both lines). */
export const EXPLICIT_BUCKET_HISTOGRAM = 4 as Extract<Aggregation, { options?: { boundaries: number[] } }>['type'];

/** Same behaviour as sdk-metrics' `createAllowListAttributesProcessor`: keeps only the named attributes. */
export function createAllowListAttributesProcessor(names: readonly string[]): AttributesProcessor {
  const allowed = new Set(names);
  return {
    process(incoming) {
      const kept: typeof incoming = {};
      for (const key in incoming) {
        if (Object.hasOwn(incoming, key) && allowed.has(key)) kept[key] = incoming[key];
      }
      return kept;
    },
  };
}
