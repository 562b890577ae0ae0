import type { Attributes } from '@opentelemetry/api';
import { classifyStatus } from './catalog/status.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_OTEL_METRIC_OVERFLOW,
  ATTR_SERVER_ADDRESS,
  ATTR_URL_TEMPLATE,
  ATTR_ZDX_RATE_LIMIT_WINDOW,
  ATTR_ZDX_STATUS_CLASS,
  ATTR_ZDX_TENANT,
} from './contract.js';
import type { RequestRecord } from './internal-types.js';
import { BUDGET_WINDOWS } from './ratelimit.js';

/** The attribute set the SDK itself uses for its overflow series, so ours and its fold into one. */
export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ [ATTR_OTEL_METRIC_OVERFLOW]: true });

/** One attribute set of the request instruments, with the attempts counted in it so far. */
export interface Series {
  readonly attributes: Attributes;
  /** Attempts counted (`zdx.api.requests` is read from here at collection time). */
  count: number;
}

interface SeriesBase {
  readonly method: string;
  readonly template: string;
  readonly serverAddress: string;
  readonly tenant: string | undefined;
  /** By status code (-1: no response), for attempts without a failure of their own. */
  readonly byStatus: Map<number, Series>;
  /** By `${status}|${error type}`, for failures (no response, or a body that did not arrive). */
  readonly byFailure: Map<string, Series>;
}

/**
 * The attribute sets of `zdx.api.requests` and `zdx.api.request.duration`, built once per (method, template,
 * server, status, error type, tenant) and reused, and admitted against the cardinality limit for the whole
 * life of the process: past `limit - 1` distinct sets, new ones share the overflow set
 * (`otel.metric.overflow=true`, as the SDK's own), so at most `limit` series per instrument ever exist,
 * whatever the temporality. (The SDK's `aggregationCardinalityLimit` bounds one collection only: with
 * cumulative temporality series from earlier collections are kept on top of it.)
 */
export class SeriesCache {
  // By template, then method; then a short list scanned for (server, tenant). Templates and methods are
  // interned strings (catalog constants), so these lookups hash nothing new per request.
  private readonly bases = new Map<string, Map<string, SeriesBase[]>>();
  private readonly overflow: Series = { attributes: OVERFLOW_ATTRIBUTES, count: 0 };
  /** Every series handed out, the overflow one last, in admission order. */
  private readonly all: Series[] = [];

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.all.length;
  }

  /** The series of an answered or finished attempt; `failure` is its error type when it failed. */
  series(record: RequestRecord, failure: string | undefined): Series {
    const base = (record.series ??= this.base(record)) as SeriesBase | null;
    if (base === null) return this.overflow;
    const status = record.statusCode ?? -1;
    if (failure === undefined) {
      const known = base.byStatus.get(status);
      if (known !== undefined) return known;
      const made = this.admit(base, record.statusCode, undefined);
      if (made !== this.overflow) base.byStatus.set(status, made);
      return made;
    }
    const key = `${status}|${failure}`;
    const known = base.byFailure.get(key);
    if (known !== undefined) return known;
    const made = this.admit(base, record.statusCode, failure);
    if (made !== this.overflow) base.byFailure.set(key, made);
    return made;
  }

  /** Every series with a count, at collection time. */
  forEach(observe: (series: Series) => void): void {
    for (const series of this.all) if (series.count > 0) observe(series);
    if (this.overflow.count > 0) observe(this.overflow);
  }

  private base(record: RequestRecord): SeriesBase | null {
    let byMethod = this.bases.get(record.template);
    if (byMethod === undefined) this.bases.set(record.template, (byMethod = new Map()));
    let list = byMethod.get(record.method);
    if (list === undefined) byMethod.set(record.method, (list = []));
    for (const base of list) {
      if (base.serverAddress === record.serverAddress && base.tenant === record.tenant) return base;
    }
    // A base is only made while sets can still be admitted, so the bases are bounded by the limit too.
    if (this.full()) return null;
    {
      const base: SeriesBase = {
        method: record.method,
        template: record.template,
        serverAddress: record.serverAddress,
        tenant: record.tenant,
        byStatus: new Map(),
        byFailure: new Map(),
      };
      list.push(base);
      return base;
    }
  }

  private full(): boolean {
    return this.all.length >= this.limit - 1;
  }

  private admit(base: SeriesBase, statusCode: number | undefined, failure: string | undefined): Series {
    if (this.full()) return this.overflow;
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: base.method,
      [ATTR_URL_TEMPLATE]: base.template,
      [ATTR_SERVER_ADDRESS]: base.serverAddress,
      [ATTR_ZDX_STATUS_CLASS]: classifyStatus(statusCode).statusClass,
    };
    if (statusCode !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = statusCode;
    const errorType = failure ?? (statusCode !== undefined && statusCode >= 400 ? String(statusCode) : undefined);
    if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
    if (base.tenant !== undefined) attributes[ATTR_ZDX_TENANT] = base.tenant;
    const series: Series = { attributes: Object.freeze(attributes), count: 0 };
    this.all.push(series);
    return series;
  }
}

interface WindowValues {
  readonly attributes: Attributes;
  limit: number | undefined;
  remaining: number | undefined;
}

/**
 * The last rate-limit values reported per (server.address, window, tenant), read by the observable gauges at
 * collection time: a response only updates a few numbers in place, and nothing is recorded per response.
 * Bounded like the request series: past the limit, new (server, tenant) pairs are not tracked.
 */
export class RateLimitBudgets {
  /** Per (server, tenant): the values of each window, in BUDGET_WINDOWS order. */
  private readonly slots = new Map<string, Array<WindowValues | undefined>>();
  private series = 0;
  // Responses come from one server and tenant in runs: the last pair's slots are kept at hand.
  private lastServer: string | undefined;
  private lastTenant: string | undefined;
  private lastSlots: Array<WindowValues | undefined> | undefined;

  constructor(private readonly limit: number) {}

  /** `budgets`: `[limit, remaining]` per window of BUDGET_WINDOWS, NaN where not reported. */
  update(record: RequestRecord, budgets: ArrayLike<number>): void {
    let slots: Array<WindowValues | undefined> | undefined;
    for (let i = 0; i < BUDGET_WINDOWS.length; i++) {
      const limit = budgets[2 * i]!;
      const remaining = budgets[2 * i + 1]!;
      if (Number.isNaN(limit) && Number.isNaN(remaining)) continue;
      slots ??= this.slotsOf(record);
      if (!slots) return;
      this.set(slots, i, record, limit, remaining);
    }
  }

  /** Calls `observe` for every value known, at collection time. */
  forEach(observe: (kind: 'limit' | 'remaining', value: number, attributes: Attributes) => void): void {
    for (const slots of this.slots.values()) {
      for (const values of slots) {
        if (values?.remaining !== undefined) observe('remaining', values.remaining, values.attributes);
        if (values?.limit !== undefined) observe('limit', values.limit, values.attributes);
      }
    }
  }

  private slotsOf(record: RequestRecord): Array<WindowValues | undefined> | undefined {
    if (this.lastSlots && record.serverAddress === this.lastServer && record.tenant === this.lastTenant) {
      return this.lastSlots;
    }
    const key = record.tenant === undefined ? record.serverAddress : `${record.serverAddress} ${record.tenant}`;
    let slots = this.slots.get(key);
    if (slots === undefined) {
      if (this.series + BUDGET_WINDOWS.length > this.limit) return undefined;
      this.series += BUDGET_WINDOWS.length;
      slots = new Array<WindowValues | undefined>(BUDGET_WINDOWS.length).fill(undefined);
      this.slots.set(key, slots);
    }
    this.lastServer = record.serverAddress;
    this.lastTenant = record.tenant;
    this.lastSlots = slots;
    return slots;
  }

  private set(
    slots: Array<WindowValues | undefined>,
    index: number,
    record: RequestRecord,
    limit: number,
    remaining: number,
  ): void {
    let values = slots[index];
    if (values === undefined) {
      const attributes: Attributes = {
        [ATTR_SERVER_ADDRESS]: record.serverAddress,
        [ATTR_ZDX_RATE_LIMIT_WINDOW]: BUDGET_WINDOWS[index]!,
      };
      if (record.tenant !== undefined) attributes[ATTR_ZDX_TENANT] = record.tenant;
      values = { attributes: Object.freeze(attributes), limit: undefined, remaining: undefined };
      slots[index] = values;
    }
    // Each header family reports its own numbers; a value not in this response keeps its last report.
    if (!Number.isNaN(limit)) values.limit = limit;
    if (!Number.isNaN(remaining)) values.remaining = remaining;
  }
}
