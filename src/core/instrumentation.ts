import { ValueType, type Attributes, type Counter, type Gauge, type Histogram } from '@opentelemetry/api';
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import { classifyStatus } from './catalog/status.js';
import { resolveOptions, type ResolvedOptions } from './config.js';
import type { RequestRecord } from './internal-types.js';
import { RequestObserver } from './observer.js';
import { TemplateRouter } from './route/template.js';
import { TenantBudget } from './tenant.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_URL_TEMPLATE,
  ATTR_ZDX_RATE_LIMIT_WINDOW,
  ATTR_ZDX_STATUS_CLASS,
  ATTR_ZDX_TENANT,
  METRIC_ZDX_API_RATE_LIMIT_LIMIT,
  METRIC_ZDX_API_RATE_LIMIT_REMAINING,
  METRIC_ZDX_API_REQUEST_DURATION,
  METRIC_ZDX_API_REQUESTS,
  METRICS,
} from './contract.js';
import { sharedSpanRegistry } from './span-registry.js';
import type { ZdxOtelOptions, ZdxRateLimitWindow } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

/**
 * Counts and times every HTTP attempt to the ZDX API, made with node:http clients (axios, got, ...) or
 * undici / global fetch, from Node's diagnostics channels. It patches no module, so it works the same under
 * ESM and CommonJS and needs no loader hook. The metrics are recorded here, independently of tracing, so
 * they stay exact whatever the sampler decides. Put it in NodeSDK's `instrumentations`.
 */
export class ZdxInstrumentation extends InstrumentationBase<ZdxOtelOptions> {
  // `declare`d fields: the base constructor calls _updateMetricInstruments() and enable() before subclass
  // field initialisers would run, so ordinary fields would overwrite what those calls set up.
  declare private _requests: Counter;
  declare private _duration: Histogram;
  declare private _remaining: Gauge;
  declare private _limit: Gauge;
  declare private _observer: RequestObserver | undefined;
  declare private _resolved: ResolvedOptions;

  constructor(options: ZdxOtelOptions = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, options);
  }

  protected override init(): void {
    // Nothing to patch: diagnostics channels are published by Node core and undici themselves.
  }

  protected override _updateMetricInstruments(): void {
    this._requests = this.meter.createCounter(METRIC_ZDX_API_REQUESTS, {
      ...describe(METRIC_ZDX_API_REQUESTS),
      valueType: ValueType.INT,
    });
    this._duration = this.meter.createHistogram(METRIC_ZDX_API_REQUEST_DURATION, {
      ...describe(METRIC_ZDX_API_REQUEST_DURATION),
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: [...this.options().durationBuckets] },
    });
    this._remaining = this.meter.createGauge(METRIC_ZDX_API_RATE_LIMIT_REMAINING, {
      ...describe(METRIC_ZDX_API_RATE_LIMIT_REMAINING),
      valueType: ValueType.INT,
    });
    this._limit = this.meter.createGauge(METRIC_ZDX_API_RATE_LIMIT_LIMIT, {
      ...describe(METRIC_ZDX_API_RATE_LIMIT_LIMIT),
      valueType: ValueType.INT,
    });
  }

  override setConfig(config: ZdxOtelOptions = {}): void {
    // Validate before anything is stored: bad options fail at startup with the option's name.
    const resolved = resolveOptions(config);
    super.setConfig(config);
    this._resolved = resolved;
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
    const router = new TemplateRouter({ extraHosts: options.extraHosts, maxUnknownTemplates: options.maxUnknownTemplates });
    this._observer = new RequestObserver(router, sharedSpanRegistry(), {
      onResponse: (record) => this.recordRateLimit(record),
      onEnd: (record) => this.recordEnd(record),
    }, new TenantBudget(options.maxTenants));
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

  private recordEnd(record: RequestRecord): void {
    const status = classifyStatus(record.statusCode);
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: record.method,
      [ATTR_URL_TEMPLATE]: record.template,
      [ATTR_SERVER_ADDRESS]: record.serverAddress,
      [ATTR_ZDX_STATUS_CLASS]: status.statusClass,
    };
    if (record.statusCode !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = record.statusCode;
    const errorType = record.errorType ?? (record.statusCode !== undefined && record.statusCode >= 400 ? String(record.statusCode) : undefined);
    if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
    if (record.tenant !== undefined) attributes[ATTR_ZDX_TENANT] = record.tenant;
    this._requests.add(1, attributes);
    this._duration.record((performance.now() - record.startedAt) / 1000, attributes);
  }

  private recordRateLimit(record: RequestRecord): void {
    const facts = record.rateLimit;
    if (!facts) return;
    this.recordWindow(record, 'window', facts.limit, facts.remaining);
    if (!facts.windows) return;
    for (const window of Object.keys(facts.windows) as ZdxRateLimitWindow[]) {
      const values = facts.windows[window];
      this.recordWindow(record, window, values?.limit, values?.remaining);
    }
  }

  private recordWindow(record: RequestRecord, window: string, limit: number | undefined, remaining: number | undefined): void {
    if (limit === undefined && remaining === undefined) return;
    const attributes: Attributes = { [ATTR_SERVER_ADDRESS]: record.serverAddress, [ATTR_ZDX_RATE_LIMIT_WINDOW]: window };
    if (record.tenant !== undefined) attributes[ATTR_ZDX_TENANT] = record.tenant;
    if (remaining !== undefined) this._remaining.record(remaining, attributes);
    if (limit !== undefined) this._limit.record(limit, attributes);
  }
}

/** Unit and description of an instrument, from the contract. */
function describe(name: string): { unit: string; description: string } {
  const definition = METRICS.find((m) => m.name === name)!;
  return { unit: definition.unit, description: definition.description };
}
