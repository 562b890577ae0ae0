import { ValueType, type Attributes, type Histogram } from '@opentelemetry/api';
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import { resolveOptions, type ResolvedOptions } from './config.js';
import type { RequestRecord } from './internal-types.js';
import { internalError } from './internal-errors.js';
import { RequestObserver } from './observer.js';
import { TemplateRouter } from './route/template.js';
import { RateLimitBudgets, SeriesCache } from './series.js';
import { TenantBudget } from './tenant.js';
import {
  METRIC_ZDX_API_RATE_LIMIT_LIMIT,
  METRIC_ZDX_API_RATE_LIMIT_REMAINING,
  METRIC_ZDX_API_REQUEST_DURATION,
  METRIC_ZDX_API_REQUESTS,
  METRICS,
} from './contract.js';
import { sharedSpanRegistry } from './span-registry.js';
import type { ZdxOtelOptions } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

/** Durations held before they are recorded in one go (at most this many, and at every collection). */
const PENDING_DURATIONS = 64;

/**
 * Counts and times every HTTP attempt to the ZDX API, made with node:http clients (axios, got, ...) or
 * undici / global fetch, from Node's diagnostics channels. It patches no module, so it works the same under
 * ESM and CommonJS and needs no loader hook. The metrics are recorded here, independently of tracing, so
 * they stay exact whatever the sampler decides. Put it in NodeSDK's `instrumentations`.
 */
export class ZdxInstrumentation extends InstrumentationBase<ZdxOtelOptions> {
  // `declare`d fields: the base constructor calls _updateMetricInstruments() and enable() before subclass
  // field initialisers would run, so ordinary fields would overwrite what those calls set up.
  declare private _duration: Histogram;
  declare private _observer: RequestObserver | undefined;
  declare private _resolved: ResolvedOptions;
  declare private _series: SeriesCache | undefined;
  declare private _budgets: RateLimitBudgets | undefined;
  /** Durations not yet recorded (see recordEnd): the first `_pendingCount` seconds and their attribute sets. */
  declare private _pendingSeconds: Float64Array | undefined;
  declare private _pendingAttributes: Attributes[] | undefined;
  declare private _pendingCount: number | undefined;

  constructor(options: ZdxOtelOptions = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, options);
  }

  protected override init(): void {
    // Nothing to patch: diagnostics channels are published by Node core and undici themselves.
  }

  protected override _updateMetricInstruments(): void {
    // A counter read at collection time: each attempt only increments a number on its (cached) series, so
    // the SDK's per-record attribute hashing is paid once per request (the histogram), not twice.
    const requests = this.meter.createObservableCounter(METRIC_ZDX_API_REQUESTS, {
      ...describe(METRIC_ZDX_API_REQUESTS),
      valueType: ValueType.INT,
    });
    requests.addCallback((result) => {
      // The SDK runs every observable callback before it collects any synchronous instrument: durations
      // still waiting are recorded here, so each collection has every duration of the attempts it counts.
      this.flushDurations();
      this._series?.forEach((series) => result.observe(series.count, series.attributes));
    });
    // A new meter: what was measured so far goes to the histogram it was measured for.
    this.flushDurations();
    this._duration = this.meter.createHistogram(METRIC_ZDX_API_REQUEST_DURATION, {
      ...describe(METRIC_ZDX_API_REQUEST_DURATION),
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: [...this.options().durationBuckets] },
    });
    // Read at collection time from the last values the responses left: nothing is recorded per response.
    const remaining = this.meter.createObservableGauge(METRIC_ZDX_API_RATE_LIMIT_REMAINING, {
      ...describe(METRIC_ZDX_API_RATE_LIMIT_REMAINING),
      valueType: ValueType.INT,
    });
    const limit = this.meter.createObservableGauge(METRIC_ZDX_API_RATE_LIMIT_LIMIT, {
      ...describe(METRIC_ZDX_API_RATE_LIMIT_LIMIT),
      valueType: ValueType.INT,
    });
    this.meter.addBatchObservableCallback(
      (observer) => {
        this._budgets?.forEach((kind, value, attributes) =>
          observer.observe(kind === 'limit' ? limit : remaining, value, attributes),
        );
      },
      [remaining, limit],
    );
  }

  override setConfig(config: ZdxOtelOptions = {}): void {
    // Validate before anything is stored: bad options fail at startup with the option's name.
    const resolved = resolveOptions(config);
    super.setConfig(config);
    this._resolved = resolved;
    this._series = undefined;
    this._budgets = undefined;
    if (this._observer) {
      this._observer.unsubscribe();
      this._observer = undefined;
      if (this.isEnabled()) this.enable();
    }
  }

  override enable(): void {
    super.enable();
    if (this._observer) return;
    const options = this.options();
    this._series ??= new SeriesCache(options.cardinalityLimit);
    this._budgets ??= new RateLimitBudgets(options.cardinalityLimit);
    const router = new TemplateRouter({
      extraHosts: options.extraHosts,
      maxUnknownTemplates: options.maxUnknownTemplates,
    });
    this._observer = new RequestObserver(
      router,
      sharedSpanRegistry(),
      {
        onResponse: (record, budgets) => this.recordResponse(record, budgets),
        onEnd: (record) => this.recordEnd(record),
      },
      new TenantBudget(options.maxTenants),
    );
    this._observer.subscribe();
  }

  override disable(): void {
    super.disable();
    this._observer?.unsubscribe();
    this._observer = undefined;
  }

  private options(): ResolvedOptions {
    return (this._resolved ??= resolveOptions(this.getConfig()));
  }

  /** The status is known: the attempt counts now, whether or not its body is ever read. */
  private recordResponse(record: RequestRecord, budgets: Float64Array | undefined): void {
    this._series!.series(record, undefined).count++;
    if (budgets) this._budgets!.update(record, budgets);
  }

  /** The attempt is over: its duration, and its count too if it failed before any status came. */
  private recordEnd(record: RequestRecord): void {
    const series = this._series!;
    const ended = series.series(record, record.errorType);
    if (!record.counted) {
      record.counted = true;
      ended.count++;
    }
    // Recorded in batches, not one by one: in the middle of the request path each record (the SDK hashes the
    // attribute set to find its series) costs about twice what it costs in a tight loop of records. The batch
    // lives in arrays made once, so holding a duration allocates nothing.
    const seconds = (this._pendingSeconds ??= new Float64Array(PENDING_DURATIONS));
    const attributes = (this._pendingAttributes ??= new Array<Attributes>(PENDING_DURATIONS));
    const count = this._pendingCount ?? 0;
    seconds[count] = (performance.now() - record.startedAt) / 1000;
    attributes[count] = ended.attributes;
    this._pendingCount = count + 1;
    if (count + 1 >= PENDING_DURATIONS) this.flushDurations();
  }

  private flushDurations(): void {
    const count = this._pendingCount;
    if (!count) return;
    const seconds = this._pendingSeconds!;
    const attributes = this._pendingAttributes!;
    const duration = this._duration;
    // Emptied first: whatever the SDK does, a duration is never recorded twice.
    this._pendingCount = 0;
    try {
      for (let i = 0; i < count; i++) duration.record(seconds[i]!, attributes[i]);
    } catch (error) {
      // Inside a request's end or a collection: a broken metrics pipeline costs data points, nothing else.
      internalError('duration record', error);
    }
  }
}

/** Unit and description of an instrument, from the contract. */
function describe(name: string): { unit: string; description: string } {
  const definition = METRICS.find((m) => m.name === name)!;
  return { unit: definition.unit, description: definition.description };
}
