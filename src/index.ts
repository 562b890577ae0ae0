export { ZdxInstrumentation } from './instrumentation.js';
export { ZdxSpanProcessor } from './span-processor.js';
export { zdxViews } from './views.js';
export { startZdxTelemetry } from './start.js';
export { classifyStatus, ZDX_STATUS_CODES } from './catalog/status.js';
export { ZDX_ENDPOINTS } from './catalog/endpoints.js';
export type { ZdxEndpoint, ZdxEndpointGroup } from './catalog/endpoints.js';
export { templateFor } from './route/template.js';
export { parseRateLimitHeaders } from './ratelimit.js';
export { ZdxConfigError } from './errors.js';
export * from './semconv.js';
export type {
  ZdxOtelOptions,
  ZdxRateLimitFacts,
  ZdxRateLimitWindow,
  ZdxStatusClass,
  ZdxStatusInfo,
  ZdxTelemetry,
  ZdxTelemetryOptions,
} from './types.js';
