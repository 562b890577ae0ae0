import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { propagation } from '@opentelemetry/api';
import { OTLPMetricExporter as OtlpJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OtlpProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  AggregationType,
  ConsoleMetricExporter,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { NodeSDK } from './node-sdk.js';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { resolveOptions } from '../core/config.js';
import { patchEsmBuiltins } from '../core/esm-builtins.js';
import { exportConfigFromEnv, sdkDisabled, type ExportConfig } from './export-config.js';
import { traceInstrumentations, tracingScope } from './instrumentations.js';
import { otherSdkMessage, watchForLaterSdk, ZdxOtherSdkError } from './other-sdk.js';
import { unbundledPropagatorsMessage } from './propagators.js';
import { Abandon, abandonable, exporterAgentFactory, lifecycle } from './shutdown.js';
import { joinMessage, recordRunning, runningTelemetry } from './start-guard.js';
import { ZdxInstrumentation } from '../core/instrumentation.js';
import { ZdxSpanProcessor } from '../core/span-processor.js';
import type { ZdxTelemetry, ZdxTelemetryOptions } from './types.js';
import { viewsFor } from '../core/views.js';

const PULL_DURATION_NAME = 'zdx.api.request.duration.seconds';

/**
 * Starts the OpenTelemetry Node SDK with everything zdx-otel needs: `ZdxInstrumentation` for exact metrics,
 * the http and undici instrumentations plus `ZdxSpanProcessor` for spans, `zdxViews()`, and the exporters
 * the standard `OTEL_*` variables choose (metrics over OTLP/HTTP JSON by default). Throws `ZdxConfigError`
 * for invalid options or variables, before anything is started. `zdx-otel/register` calls this.
 */
export function startZdxTelemetry(options: ZdxTelemetryOptions = {}): ZdxTelemetry {
  const running = runningTelemetry();
  if (running) {
    process.stderr.write(joinMessage(running, 'this startZdxTelemetry() call'));
    return running.telemetry;
  }
  const disabled = sdkDisabled();
  if (disabled.warning) process.stderr.write(`${disabled.warning}\n`);
  if (disabled.disabled) {
    return { flush: () => Promise.resolve(), shutdown: () => Promise.resolve() };
  }
  const otherSdk = otherSdkMessage();
  if (otherSdk !== undefined) throw new ZdxOtherSdkError(otherSdk);
  const resolved = resolveOptions(options);
  const scope = tracingScope(options.tracing);
  const config = exportConfigFromEnv(process.env, options.shutdownTimeoutMillis);

  const pullServers: Server[] = [];
  const abandon = new Abandon();
  const metricReaders = config.metricExporters.map((name) => metricReader(name, config, pullServers, abandon));
  const views: ViewOptions[] = [
    ...viewsFor(resolved, config.metricExporters.includes('prometheus') ? PULL_DURATION_NAME : undefined),
    // The generic instrumentations are here for spans; their own per-host histogram is not part of
    // zdx-otel's metric contract and would add a series per host the application talks to.
    ...['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-undici'].map((meterName) => ({
      meterName,
      instrumentName: 'http.client.request.duration',
      aggregation: { type: AggregationType.DROP } as const,
    })),
  ];

  const tracing = config.traceExporters.length > 0;
  const spanProcessors: SpanProcessor[] = tracing
    ? [new ZdxSpanProcessor(options), ...config.traceExporters.map((name) => spanProcessor(name, config, abandon))]
    : [];

  const sdk = new NodeSDK({
    ...(options.serviceName !== undefined ? { serviceName: options.serviceName } : {}),
    // ZdxInstrumentation first: its undici subscribers then run before instrumentation-undici ends a span,
    // so the span processor always finds the request's record.
    instrumentations: [
      new ZdxInstrumentation(options),
      ...(tracing ? traceInstrumentations(scope, resolved.extraHosts, () => serverPorts(pullServers)) : []),
    ],
    metricReaders,
    views,
    spanProcessors,
    // Logs are not zdx-otel's business; without this the SDK would start an OTLP log exporter by default.
    logRecordProcessors: [],
  });
  sdk.start();
  watchForLaterSdk();
  if (tracing) patchEsmBuiltins();
  const propagatorMessage = unbundledPropagatorsMessage(propagation.fields());
  if (propagatorMessage !== undefined) process.stderr.write(`${propagatorMessage}\n`);

  const { flush, shutdown } = lifecycle(
    config.shutdownTimeoutMillis,
    // NodeSDK has no forceFlush; the readers and processors it was given do.
    () =>
      Promise.all([
        ...metricReaders.map((reader) => reader.forceFlush()),
        ...spanProcessors.map((processor) => processor.forceFlush()),
      ]),
    () =>
      sdk.shutdown().finally(() => {
        for (const server of pullServers) server.close();
      }),
    abandon,
  );
  const telemetry: ZdxTelemetry = {
    flush,
    shutdown: () => {
      // Once stopped, a later start is a new setup, not a duplicate.
      if (runningTelemetry()?.telemetry === telemetry) recordRunning(undefined, '');
      return shutdown();
    },
  };
  recordRunning(telemetry, 'startZdxTelemetry()');
  return telemetry;
}

function serverPorts(servers: readonly Server[]): number[] {
  return servers.map((server) => (server.address() as AddressInfo | null)?.port ?? -1);
}

function metricReader(
  name: ExportConfig['metricExporters'][number],
  config: ExportConfig,
  pullServers: Server[],
  abandon: Abandon,
): IMetricReader {
  if (name === 'prometheus') {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    // Our own server instead of the exporter's: it is unref'd, so a scrape endpoint never keeps an
    // application alive that would otherwise exit.
    const server = createServer((request, response) => {
      if (request.url?.split('?')[0] === '/metrics') exporter.getMetricsRequestHandler(request, response);
      else response.writeHead(404).end();
    });
    // Not a diag message: the user asked for this endpoint, and diag is silent unless OTEL_LOG_LEVEL is set.
    server.on('error', (error: NodeJS.ErrnoException) =>
      process.stderr.write(
        `zdx-otel: the Prometheus endpoint cannot listen on ${config.prometheusHost}:${config.prometheusPort} (${error.code ?? error.message}); ` +
          'set OTEL_EXPORTER_PROMETHEUS_PORT (and _HOST) to a free address. Other exporters keep working.\n',
      ),
    );
    server.listen(config.prometheusPort, config.prometheusHost).unref();
    pullServers.push(server);
    return exporter;
  }
  const exporter =
    name === 'console'
      ? new ConsoleMetricExporter()
      : config.metricsProtocol === 'http/protobuf'
        ? new OtlpProtoMetricExporter(otlpOptions('METRICS', config.metricsOtlpTimeoutMillis))
        : new OtlpJsonMetricExporter(otlpOptions('METRICS', config.metricsOtlpTimeoutMillis));
  return new PeriodicExportingMetricReader({
    exporter: abandonable(exporter, abandon),
    exportIntervalMillis: config.metricIntervalMillis,
    exportTimeoutMillis: config.metricTimeoutMillis,
  });
}

function spanProcessor(
  name: ExportConfig['traceExporters'][number],
  config: ExportConfig,
  abandon: Abandon,
): SpanProcessor {
  if (name === 'console') return new SimpleSpanProcessor({ exporter: abandonable(new ConsoleSpanExporter(), abandon) });
  const options = otlpOptions('TRACES', config.tracesOtlpTimeoutMillis);
  const exporter =
    config.tracesProtocol === 'http/protobuf'
      ? new OtlpProtoTraceExporter(options)
      : new OtlpJsonTraceExporter(options);
  const batch = Object.fromEntries(Object.entries(config.batch).filter(([, v]) => v !== undefined));
  return new BatchSpanProcessor({ exporter: abandonable(exporter, abandon), ...batch });
}

/**
 * Options for every OTLP exporter; everything else (endpoint, headers, compression) they read from env. The
 * agent and the capped timeout are what keep "never keeps the process alive" true (see shutdown.ts).
 */
function otlpOptions(signal: 'METRICS' | 'TRACES', timeoutMillis: number) {
  return { timeoutMillis, httpAgentOptions: exporterAgentFactory(signal) };
}
