import { describe } from 'vitest';
import { pairingSuite } from '../support/pairing.js';

// The http/undici instrumentations subscribe first (an application that registers its own SDK, then
// zdx-otel's instrumentation): the undici span starts before zdx-otel's handler runs in the same publish.
describe('pairing a request with its span, instrumentations subscribed first', () =>
  pairingSuite('instrumentations-first'));
