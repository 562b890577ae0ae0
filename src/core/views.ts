import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import { resolveOptions, type ResolvedOptions } from './config.js';
import { createAllowListAttributesProcessor, EXPLICIT_BUCKET_HISTOGRAM } from './metrics-sdk.js';
import {
  METER_NAME,
  METRIC_ZDX_API_RATE_LIMIT_LIMIT,
  METRIC_ZDX_API_RATE_LIMIT_REMAINING,
  METRIC_ZDX_API_REQUEST_DURATION,
  METRIC_ZDX_API_REQUESTS,
  RATE_LIMIT_METRIC_ATTRIBUTES,
} from './contract.js';
import type { ZdxOtelOptions } from './types.js';

/**
 * The metrics Views for zdx-otel's instruments (pass them to NodeSDK's or MeterProvider's `views`):
 * second-scale duration buckets up to 60 s, an allow-list of the documented attributes on the rate-limit
 * gauges, and an explicit cardinality limit per stream. The request instruments need no attribute processor
 * (one would run on every request): `ZdxInstrumentation` builds their attribute sets itself, from the
 * contract's names only, and admits them against the same limit for the life of the process (`SeriesCache`).
 * The Views select by meter name too, so other libraries' instruments are not touched.
 */
export function zdxViews(options: ZdxOtelOptions = {}): ViewOptions[] {
  return viewsFor(resolveOptions(options));
}

/**
 * `durationName` renames the histogram stream. `startZdxTelemetry()` uses it only for the Prometheus pull
 * exporter, which (unlike every OTLP-to-Prometheus path) never appends the unit to the name: naming the
 * stream `zdx.api.request.duration.seconds` gives `zdx_api_request_duration_seconds_*` on every path.
 */
export function viewsFor({ durationBuckets, cardinalityLimit }: ResolvedOptions, durationName?: string): ViewOptions[] {
  const rateLimitAttributes = createAllowListAttributesProcessor([...RATE_LIMIT_METRIC_ATTRIBUTES]);
  return [
    {
      meterName: METER_NAME,
      instrumentName: METRIC_ZDX_API_REQUESTS,
      aggregationCardinalityLimit: cardinalityLimit,
    },
    {
      meterName: METER_NAME,
      instrumentName: METRIC_ZDX_API_REQUEST_DURATION,
      ...(durationName ? { name: durationName } : {}),
      aggregation: {
        type: EXPLICIT_BUCKET_HISTOGRAM,
        options: { boundaries: [...durationBuckets], recordMinMax: true },
      },
      aggregationCardinalityLimit: cardinalityLimit,
    },
    ...[METRIC_ZDX_API_RATE_LIMIT_REMAINING, METRIC_ZDX_API_RATE_LIMIT_LIMIT].map((instrumentName) => ({
      meterName: METER_NAME,
      instrumentName,
      attributesProcessors: [rateLimitAttributes],
      aggregationCardinalityLimit: cardinalityLimit,
    })),
  ];
}
