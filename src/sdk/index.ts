// `zdx-otel/sdk`: start the OpenTelemetry Node SDK with zdx-otel in it, for services without an SDK of their own.
export { startZdxTelemetry } from './start.js';
export { runningZdxTelemetry } from './start-guard.js';
export type { ZdxTelemetry, ZdxTelemetryOptions } from './types.js';
