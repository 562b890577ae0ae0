import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import { resolveOptions, withResolvedOptions } from './config.js';
import { ZdxInstrumentation } from './instrumentation.js';
import { ZdxSpanProcessor } from './span-processor.js';
import type { ZdxOtelOptions } from './types.js';
import { viewsFor } from './views.js';

/** The three parts of zdx-otel, built from one options object, ready to spread into an SDK's configuration. */
export interface ZdxComponents {
  /** Put these in NodeSDK's (or `registerInstrumentations`') `instrumentations`. */
  readonly instrumentations: ZdxInstrumentation[];
  /** Put these FIRST in `spanProcessors`, before the processor that exports. */
  readonly spanProcessors: ZdxSpanProcessor[];
  /** Add these to the MeterProvider's `views`. */
  readonly views: ViewOptions[];
}

/**
 * Wire once: resolves and validates `options` (with the `ZDX_OTEL_*` variables) a single time and builds
 * `ZdxInstrumentation`, `ZdxSpanProcessor` and `zdxViews()` from that one resolution, so the three can never
 * disagree. Throws `ZdxConfigError` naming the option before anything is built.
 *
 * ```ts
 * const zdx = zdxOtel({ extraHosts: ['zdx-proxy.internal:8443'] });
 * new NodeSDK({
 *   instrumentations: [...zdx.instrumentations, getNodeAutoInstrumentations()],
 *   spanProcessors: [...zdx.spanProcessors, new BatchSpanProcessor({ exporter })],
 *   views: zdx.views,
 * });
 * ```
 */
export function zdxOtel(options: ZdxOtelOptions = {}): ZdxComponents {
  const resolved = resolveOptions(options);
  const shared = withResolvedOptions(options, resolved);
  return {
    instrumentations: [new ZdxInstrumentation(shared)],
    spanProcessors: [new ZdxSpanProcessor(shared)],
    views: viewsFor(resolved),
  };
}
