import { describe } from 'vitest';
import { pairingSuite } from '../support/pairing.js';

// zdx-otel subscribes to the channels before the http/undici instrumentations (as zdx-otel/register does).
describe('pairing a request with its span, zdx-otel subscribed first', () => pairingSuite('zdx-first'));
