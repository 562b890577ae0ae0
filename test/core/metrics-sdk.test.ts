import * as sdk from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { createAllowListAttributesProcessor, EXPLICIT_BUCKET_HISTOGRAM } from '../../src/core/metrics-sdk.js';

// The core copies two values from sdk-metrics instead of importing it (module cost); they must stay the SDK's.
describe('the sdk-metrics values the Views use', () => {
  it('EXPLICIT_BUCKET_HISTOGRAM is the SDK enum member', () => {
    expect(EXPLICIT_BUCKET_HISTOGRAM).toBe(sdk.AggregationType.EXPLICIT_BUCKET_HISTOGRAM);
  });

  it('the allow-list processor keeps exactly what the SDK one keeps', () => {
    const input = { a: 1, b: 'x', c: true, toString: 'own' };
    const inherited = Object.assign(Object.create({ a: 'inherited' }), { b: 2 });
    for (const attributes of [input, inherited, {}]) {
      const names = ['a', 'b', 'toString', 'missing'];
      expect(createAllowListAttributesProcessor(names).process(attributes, undefined as never)).toEqual(
        sdk.createAllowListAttributesProcessor(names).process(attributes, undefined as never),
      );
    }
    expect(createAllowListAttributesProcessor(['a']).process(input, undefined as never)).toEqual({ a: 1 });
  });
});
