// The pieces of src/sdk/shutdown.ts on their own: abandoning exports, and flush/shutdown sharing one deadline.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { Abandon, abandonable, lifecycle } from '../../src/sdk/shutdown.js';

/** An exporter that answers only when told to, like one talking to a hung Collector. */
function hungExporter() {
  const callbacks: Array<(r: ExportResult) => void> = [];
  return {
    callbacks,
    exported: 0,
    export(_items: never, cb: (r: ExportResult) => void) {
      this.exported++;
      callbacks.push(cb);
    },
    forceFlush: () => new Promise<void>(() => {}),
    shutdown: () => new Promise<void>(() => {}),
    selectAggregationTemporality: () => AggregationTemporality.DELTA,
  };
}

describe('abandonable exporters', () => {
  it('an export in flight ends FAILED when abandoned; its late answer is ignored; later exports fail at once', async () => {
    const inner = hungExporter();
    const abandon = new Abandon();
    const exporter = abandonable(inner, abandon);
    const results: ExportResult[] = [];
    exporter.export(undefined as never, (r) => results.push(r));
    expect(results).toEqual([]);
    abandon.abandon();
    expect(results.map((r) => r.code)).toEqual([ExportResultCode.FAILED]);
    inner.callbacks[0]!({ code: ExportResultCode.SUCCESS });
    expect(results).toHaveLength(1);
    exporter.export(undefined as never, (r) => results.push(r));
    expect(results.map((r) => r.code)).toEqual([ExportResultCode.FAILED, ExportResultCode.FAILED]);
    expect(inner.exported).toBe(1); // nothing new is sent after the give-up
    await exporter.forceFlush!();
    await exporter.shutdown();
  });

  it('passes answers and everything else through untouched', () => {
    const inner = hungExporter();
    const exporter = abandonable(inner, new Abandon());
    const results: ExportResult[] = [];
    exporter.export(undefined as never, (r) => results.push(r));
    inner.callbacks[0]!({ code: ExportResultCode.SUCCESS });
    expect(results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);
    expect(exporter.selectAggregationTemporality()).toBe(AggregationTemporality.DELTA);
  });
});

describe('lifecycle', () => {
  const never = () => new Promise<void>(() => {});

  it('shutdown gives up at the bound and abandons what is in flight', async () => {
    const abandon = new Abandon();
    const { shutdown } = lifecycle(150, never, never, abandon);
    const started = Date.now();
    await shutdown();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(abandon.done).toBe(true);
    await abandon.abandoned;
  });

  it('a shutdown after a pinned (signal) flush shares its deadline: both end within one bound', async () => {
    const { flush, shutdown } = lifecycle(300, never, never, new Abandon());
    const started = Date.now();
    await flush(true);
    await shutdown();
    expect(Date.now() - started).toBeLessThan(450);
  });

  it('an unpinned flush that finished leaves the next shutdown its full bound', async () => {
    const { flush, shutdown } = lifecycle(200, () => Promise.resolve(), never, new Abandon());
    await flush();
    const started = Date.now();
    await shutdown();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});
