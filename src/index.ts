// The library: what a service imports to wire zdx-otel into its own OpenTelemetry set-up. Only the core is
// re-exported here, so importing it loads no SDK, exporter or OTLP module; the whole-SDK start-up is
// `zdx-otel/sdk` (and `zdx-otel/register`).
export { ZdxInstrumentation } from './core/instrumentation.js';
export { ZdxSpanProcessor } from './core/span-processor.js';
export { zdxViews } from './core/views.js';
export { zdxOtel } from './core/components.js';
export type { ZdxComponents } from './core/components.js';
export { patchEsmBuiltins } from './core/esm-builtins.js';
export { classifyStatus, ZDX_STATUS_CODES } from './core/catalog/status.js';
export { ZDX_ENDPOINTS } from './core/catalog/endpoints.js';
export type { ZdxEndpoint, ZdxEndpointGroup } from './core/catalog/endpoints.js';
export { templateFor } from './core/route/template.js';
export { parseRateLimitHeaders } from './core/ratelimit.js';
export { ZdxConfigError } from './core/errors.js';
export { activeZdxTenant, withZdxTenant, zdxTenantContext } from './core/tenant.js';
export * from './core/contract.js';
export type {
  ZdxOtelOptions,
  ZdxRateLimitFacts,
  ZdxRateLimitWindow,
  ZdxStatusClass,
  ZdxStatusInfo,
} from './core/types.js';
