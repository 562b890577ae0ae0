/*
 * The Grafana dashboard (the mixin's `grafanaDashboards`), built with @grafana/grafana-foundation-sdk and
 * committed as JSON. Every query reads the raw zdx-otel metrics (not the recording rules), so the dashboard works
 * before the rules are loaded and the service/host/endpoint variables can filter on any label.
 *
 * Variables: data source, service (`serviceLabel`, default `job`), ZDX host (`server_address`), tenant
 * (`zdx_tenant`) and endpoint (`url_template`). "All" is the regex `.*`, which also matches series without the
 * label, so the dashboard still works on export paths without `job` (e.g. VictoriaMetrics) and for services
 * that never name a tenant.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { durationSeconds, percent, round, type ZdxDeployConfig } from './config.ts';
import { classWords } from './alerts.ts';
import { familyMatcher } from './rules.ts';
import { LABELS, METRICS, series, sumBy } from './promql.ts';

/** What the dashboard needs from the package's `ZDX_STATUS_CODES`. */
export interface StatusCatalogEntry {
  readonly code: number | undefined;
  readonly statusClass: string;
  readonly text: string;
  readonly description: string;
}

const DS: dashboard.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };
const RATE = '$__rate_interval';
const RANGE = '$__range';

/** Colours per status class, shared by the value mappings and the series overrides. */
const CLASS_COLORS: Record<string, string> = {
  '1xx': 'blue',
  '2xx': 'green',
  '3xx': 'blue',
  '4xx': 'orange',
  '5xx': 'red',
  error: 'purple',
  unknown: 'text',
};
const COLOR_429 = 'dark-red';

/** One line of the status table: `429 Too Many Requests: <ZDX's description on one line>`. */
export function statusMappingText(entry: StatusCatalogEntry): string {
  return `${entry.code} ${entry.text}: ${entry.description.replace(/\s*\n\s*/g, ' ')}`;
}

/** Value mappings for `http_response_status_code` generated from the status catalog. */
export function statusValueMappings(catalog: readonly StatusCatalogEntry[]): dashboard.ValueMapping[] {
  const options: Record<string, dashboard.ValueMappingResult> = {};
  catalog.forEach((entry, index) => {
    if (entry.code === undefined) return;
    options[String(entry.code)] = {
      text: statusMappingText(entry),
      color: entry.code === 429 ? COLOR_429 : (CLASS_COLORS[entry.statusClass] ?? 'text'),
      index,
    };
  });
  return [
    { type: dashboard.MappingType.ValueToText, options },
    // Requests that got no response have no status code label at all.
    {
      type: dashboard.MappingType.SpecialValue,
      options: {
        match: dashboard.SpecialValueMatch.Empty,
        result: {
          text: 'No response (connection error, timeout or abort)',
          color: CLASS_COLORS.error,
          index: catalog.length,
        },
      },
    },
  ];
}

function query(expr: string, legend: string, refId: string): DataqueryBuilder {
  return new DataqueryBuilder().datasource(DS).expr(expr).legendFormat(legend).refId(refId);
}

function instantTable(expr: string, refId: string): DataqueryBuilder {
  return new DataqueryBuilder().datasource(DS).expr(expr).instant().format(PromQueryFormat.Table).refId(refId);
}

function thresholds(steps: Array<[number | null, string]>): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

function legendTable(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Right)
    .showLegend(true)
    .calcs(['mean', 'max', 'lastNotNull']);
}

function multiTooltip(): common.VizTooltipOptionsBuilder {
  return new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending);
}

function timeseries(title: string, description: string, unit: string, span: number): TimeseriesBuilder {
  return new TimeseriesBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .unit(unit)
    .span(span)
    .height(8)
    .min(0)
    .fillOpacity(10)
    .legend(legendTable())
    .tooltip(multiTooltip());
}

function stat(
  title: string,
  description: string,
  unit: string,
  expr: string,
  steps: Array<[number | null, string]>,
): StatBuilder {
  return new StatBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .unit(unit)
    .span(4)
    .height(4)
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(thresholds(steps))
    .withTarget(new DataqueryBuilder().datasource(DS).expr(expr).instant().refId('A'));
}

function sortDesc(displayName: string): { build: () => common.TableSortByFieldState } {
  return { build: () => ({ displayName, desc: true }) };
}

/** Builds the dashboard model (plain JSON-able object). */
export function buildDashboard(config: ZdxDeployConfig, catalog: readonly StatusCatalogEntry[]): dashboard.Dashboard {
  const d = config.dashboard;
  const svc = `${d.serviceLabel}=~"$service"`;
  const host = `${LABELS.host}=~"$host"`;
  const endpoint = `${LABELS.template}=~"$endpoint"`;
  const tenant = `${LABELS.tenant}=~"$tenant"`;
  const sel = [svc, host, tenant, endpoint];
  const requests = (...matchers: string[]): string => series(METRICS.requests, ...sel, ...matchers);
  const rate = (by: string[], ...matchers: string[]): string => sumBy(by, `rate(${requests(...matchers)}[${RATE}])`);
  const inc = (by: string[], window: string, ...matchers: string[]): string =>
    sumBy(by, `increase(${requests(...matchers)}[${window}])`);
  const errors = familyMatcher(config, 'errors');
  const budget = round(1 - config.objective);
  const errorWords = classWords(config.errorStatusClasses);
  // A missing numerator series means no such responses: fill 0 where there was traffic.
  const ratio = (num: string, den: string): string => `(${num} or 0 * ${den})\n/\n${den}`;
  const quantile = (q: number, by: string[], window: string): string =>
    `histogram_quantile(${q}, ${sumBy(['le', ...by], `rate(${series(METRICS.durationBucket, ...sel)}[${window}])`)})`;
  const byEndpoint = [LABELS.template];

  const variable = (name: string, label: string, q: string): dashboard.QueryVariableBuilder =>
    new dashboard.QueryVariableBuilder(name)
      .label(label)
      .datasource(DS)
      .query(q)
      .definition(q)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue('.*')
      .current({ selected: true, text: ['All'], value: ['$__all'] });

  const datasourceVariable = new dashboard.DatasourceVariableBuilder('datasource')
    .label('Data source')
    .type('prometheus');
  if (d.datasource !== '') datasourceVariable.current({ selected: true, text: d.datasource, value: d.datasource });

  const builder = new dashboard.DashboardBuilder(d.title)
    .uid(d.uid)
    .description(
      'Every call this service makes to the Zscaler Digital Experience (ZDX) API, from zdx-otel metrics: ' +
        'traffic, status codes with their ZDX meaning, rate limiting, latency and error budget. Generated by deploy/src/generate.ts.',
    )
    .tags(d.tags)
    .editable()
    .refresh(d.refresh)
    .time({ from: d.from, to: 'now' })
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .withVariable(datasourceVariable)
    .withVariable(variable('service', 'Service', `label_values(${METRICS.requests}, ${d.serviceLabel})`))
    .withVariable(variable('host', 'ZDX host', `label_values(${series(METRICS.requests, svc)}, ${LABELS.host})`))
    // No options at all when no service names tenants: "All" (.*) then matches the series without the label.
    .withVariable(
      variable('tenant', 'Tenant', `label_values(${series(METRICS.requests, svc, host)}, ${LABELS.tenant})`),
    )
    .withVariable(
      variable(
        'endpoint',
        'Endpoint',
        `label_values(${series(METRICS.requests, svc, host, tenant)}, ${LABELS.template})`,
      ),
    );

  // --- Overview ---------------------------------------------------------------------------------------------
  builder
    .withRow(new dashboard.RowBuilder('Overview'))
    .withPanel(
      stat('Requests per second', 'HTTP attempts to the ZDX API per second, retries included.', 'reqps', rate([]), [
        [null, 'text'],
      ]),
    )
    .withPanel(
      stat(
        'Failed requests',
        `Share of requests in the time range that failed with ${errorWords} (these spend the error budget).`,
        'percentunit',
        ratio(inc([], RANGE, errors), inc([], RANGE)),
        [
          [null, 'green'],
          [budget, 'orange'],
          [budget * 5, 'red'],
        ],
      ),
    )
    .withPanel(
      stat(
        'Rate limited (429)',
        'Share of requests in the time range that got 429 Too Many Requests.',
        'percentunit',
        ratio(inc([], RANGE, familyMatcher(config, '429')), inc([], RANGE)),
        [
          [null, 'green'],
          [0.01, 'orange'],
          [config.rateLimited.overall.ratio, 'red'],
        ],
      ),
    )
    .withPanel(
      stat('p95 latency', '95th percentile request duration over the time range.', 's', quantile(0.95, [], RANGE), [
        [null, 'green'],
        [2.5, 'orange'],
        [10, 'red'],
      ]),
    )
    .withPanel(
      stat(
        `Error budget left (${config.sloPeriod})`,
        `Share of the ${percent(budget)} error budget (objective ${percent(config.objective)}) not yet spent over the last ${config.sloPeriod}.`,
        'percentunit',
        `1 - (\n${ratio(inc([], config.sloPeriod, errors), inc([], config.sloPeriod))}\n) / (1 - ${config.objective})`,
        [
          [null, 'red'],
          [0.25, 'orange'],
          [0.5, 'green'],
        ],
      ),
    )
    .withPanel(
      stat(
        'Rate-limit remaining (lowest)',
        'Lowest remaining request count reported by any rate-limit window header (X-Ratelimit-Remaining-*, RateLimit-Remaining).',
        'short',
        `min(${series(METRICS.rateLimitRemaining, svc, host, tenant)})`,
        [
          [null, 'red'],
          [2, 'orange'],
          [10, 'green'],
        ],
      ),
    );

  // --- Traffic and status -----------------------------------------------------------------------------------
  builder
    .withRow(new dashboard.RowBuilder('Traffic and status by endpoint'))
    .withPanel(
      timeseries(
        'Requests per second by endpoint',
        'HTTP attempts per endpoint template, retries included.',
        'reqps',
        24,
      ).withTarget(query(rate(byEndpoint), '{{url_template}}', 'A')),
    );
  const classes: Array<[string, string, string, string]> = [
    [
      '2xx by endpoint',
      'Successful responses per second.',
      `${LABELS.statusClass}="2xx"`,
      CLASS_COLORS['2xx'] ?? 'green',
    ],
    [
      '4xx (except 429) by endpoint',
      'Client errors other than rate limiting: bad request, 401, 403, 404 ...',
      `${LABELS.statusClass}="4xx", ${LABELS.code}!="429"`,
      CLASS_COLORS['4xx'] ?? 'orange',
    ],
    [
      '429 by endpoint',
      'Rate-limited responses per second (ZDX: 5/s and 30-180/min per tier, or a device threshold).',
      familyMatcher(config, '429'),
      COLOR_429,
    ],
    ['5xx by endpoint', 'Server errors per second.', familyMatcher(config, '5xx'), CLASS_COLORS['5xx'] ?? 'red'],
  ];
  for (const [title, description, matcher, color] of classes) {
    builder.withPanel(
      timeseries(title, description, 'reqps', 6)
        .legend(
          new common.VizLegendOptionsBuilder()
            .displayMode(common.LegendDisplayMode.List)
            .placement(common.LegendPlacement.Bottom)
            .showLegend(true),
        )
        .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Shades).fixedColor(color))
        .withTarget(query(rate(byEndpoint, matcher), '{{url_template}}', 'A')),
    );
  }

  // --- Failures ---------------------------------------------------------------------------------------------
  const failures = `${LABELS.errorType}!=""`;
  builder
    .withRow(new dashboard.RowBuilder('Failures'))
    .withPanel(
      timeseries(
        '429 and 5xx ratio by endpoint',
        "Share of each endpoint's requests that got 429 or a 5xx response.",
        'percentunit',
        12,
      )
        .max(1)
        .withTarget(
          query(ratio(rate(byEndpoint, familyMatcher(config, '429')), rate(byEndpoint)), '{{url_template}} 429', 'A'),
        )
        .withTarget(
          query(ratio(rate(byEndpoint, familyMatcher(config, '5xx')), rate(byEndpoint)), '{{url_template}} 5xx', 'B'),
        ),
    )
    .withPanel(
      timeseries(
        'No response by endpoint and error',
        'Requests that got no response at all: connection refused or reset, DNS, TLS, timeout or abort (error_type).',
        'reqps',
        12,
      ).withTarget(
        query(
          rate([LABELS.template, LABELS.errorType], `${LABELS.statusClass}="error"`),
          '{{url_template}} {{error_type}}',
          'A',
        ),
      ),
    )
    .withPanel(
      new TableBuilder()
        .title('Top failing endpoints')
        .description(
          'Endpoints with failed requests (status >= 400 or no response) in the time range, most failures first.',
        )
        .datasource(DS)
        .span(12)
        .height(9)
        .withTarget(instantTable(inc(byEndpoint, RANGE, failures), 'A'))
        .withTarget(
          instantTable(
            `${inc(byEndpoint, RANGE)}\nand on (${LABELS.template})\n${inc(byEndpoint, RANGE, failures)}`,
            'B',
          ),
        )
        .withTarget(instantTable(`${inc(byEndpoint, RANGE, failures)}\n/\n${inc(byEndpoint, RANGE)}`, 'C'))
        .withTransformation({ id: 'merge', options: {} })
        .withTransformation({
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            renameByName: {
              url_template: 'Endpoint',
              'Value #A': 'Failures',
              'Value #B': 'Requests',
              'Value #C': 'Failure ratio',
            },
          },
        })
        .sortBy([sortDesc('Failures')])
        .overrideByName('Failures', [{ id: 'decimals', value: 0 }])
        .overrideByName('Requests', [{ id: 'decimals', value: 0 }])
        .overrideByName('Failure ratio', [
          { id: 'unit', value: 'percentunit' },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
          {
            id: 'thresholds',
            value: thresholds([
              [null, 'green'],
              [0.01, 'orange'],
              [0.05, 'red'],
            ]).build(),
          },
        ]),
    )
    .withPanel(
      new TableBuilder()
        .title('Status codes')
        .description(
          'Responses per status code in the time range with the meaning ZDX documents for it ' +
            '(value mappings generated from the zdx-otel status catalog).',
        )
        .datasource(DS)
        .span(12)
        .height(9)
        .withTarget(instantTable(inc([LABELS.code, LABELS.statusClass], RANGE), 'A'))
        .withTransformation({
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            indexByName: { [LABELS.code]: 0, [LABELS.statusClass]: 1, Value: 2 },
            renameByName: { [LABELS.code]: 'Status', [LABELS.statusClass]: 'Class', Value: 'Responses' },
          },
        })
        .sortBy([sortDesc('Responses')])
        .overrideByName('Status', [
          { id: 'mappings', value: statusValueMappings(catalog) },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
          { id: 'custom.width', value: 640 },
        ])
        .overrideByName('Responses', [{ id: 'decimals', value: 0 }]),
    );

  // --- Latency ----------------------------------------------------------------------------------------------
  builder
    .withRow(new dashboard.RowBuilder('Latency'))
    .withPanel(
      timeseries('Latency p50 / p95 / p99', 'Request duration percentiles over all selected endpoints.', 's', 12)
        .withTarget(query(quantile(0.5, [], RATE), 'p50', 'A'))
        .withTarget(query(quantile(0.95, [], RATE), 'p95', 'B'))
        .withTarget(query(quantile(0.99, [], RATE), 'p99', 'C')),
    )
    .withPanel(
      timeseries('p95 latency by endpoint', '95th percentile request duration per endpoint.', 's', 12).withTarget(
        query(quantile(0.95, byEndpoint, RATE), '{{url_template}}', 'A'),
      ),
    );

  // --- Rate limit and error budget --------------------------------------------------------------------------
  const burnSteps: Array<[number | null, string]> = [[null, 'green']];
  for (const b of [...config.burnRates].sort((a, z) => a.factor - z.factor)) {
    burnSteps.push([b.factor, b.severity === 'critical' ? 'red' : 'orange']);
  }
  const burn = (window: string, refId: string): DataqueryBuilder => {
    const by = [LABELS.host];
    const num = sumBy(by, `rate(${requests(errors)}[${window}])`);
    const den = sumBy(by, `rate(${requests()}[${window}])`);
    return query(`(\n${ratio(num, den)}\n) / (1 - ${config.objective})`, `{{server_address}} ${window}`, refId);
  };
  const burnPanel = timeseries(
    'Error-budget burn rate',
    `How many times faster than sustainable the ${percent(budget)} error budget is spent (1 = exactly the budget over ${config.sloPeriod}), ` +
      'over the windows of the paging burn-rate alerts. Dashed lines mark the alert factors.',
    'x',
    12,
  )
    .thresholds(thresholds(burnSteps))
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  // Only the paging windows: day-long windows over raw series would make every refresh scan days of samples.
  const paging = config.burnRates.filter((b) => b.severity === 'critical');
  const burnWindows = new Map<number, string>();
  for (const b of paging.length > 0 ? paging : config.burnRates.slice(0, 1)) {
    for (const w of [b.short, b.long]) burnWindows.set(durationSeconds(w), w);
  }
  [...burnWindows.entries()]
    .sort((a, z) => a[0] - z[0])
    .forEach(([, w], i) => burnPanel.withTarget(burn(w, String.fromCharCode(65 + i))));

  // --- Rate-limit budget ------------------------------------------------------------------------------------
  // One budget per host, window and tenant, shared by every replica: lowest remaining, highest limit.
  const budgetBy = `${LABELS.host}, ${LABELS.window}, ${LABELS.tenant}`;
  const gauge = (metric: string): string => series(metric, svc, host, tenant);
  const remainingMin = `min by (${budgetBy}) (${gauge(METRICS.rateLimitRemaining)})`;
  const limitMax = `max by (${budgetBy}) (${gauge(METRICS.rateLimitLimit)})`;
  const budgetLegend = '{{server_address}} {{zdx_rate_limit_window}} {{zdx_tenant}}';
  const b = config.budget;
  builder
    .withRow(new dashboard.RowBuilder('Rate-limit budget'))
    .withPanel(
      timeseries(
        'Budget left per window',
        "Share of each rate-limit window's budget still left (lowest remaining across replicas / limit), per ZDX host " +
          `and tenant. The dashed line is the budget-low alert (${percent(b.usedRatio)} used).`,
        'percentunit',
        12,
      )
        .max(1)
        .thresholds(
          thresholds([
            [null, 'red'],
            [round(1 - b.usedRatio), 'green'],
          ]),
        )
        .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed))
        .withTarget(query(`${remainingMin}\n/\n(${limitMax} > 0)`, budgetLegend, 'A')),
    )
    .withPanel(
      timeseries(
        'Time until the budget is exhausted',
        `At the pace of the last ${b.trendWindow}, how long the ${b.windows.join(' and ')} budgets last (no line while nothing ` +
          'is used). Below the window length the budget runs out before the window resets.',
        's',
        12,
      ).withTarget(
        // As the recording rule: the used count (limit - remaining) falls back at each window reset, and rate()
        // reads that like a counter reset, so the pace survives the resets. A subquery makes it a range.
        query(
          `${remainingMin}\n/\n(\n  rate((clamp_min(${limitMax} - ${remainingMin}, 0))[${b.trendWindow}:])\n  > 0\n)`,
          budgetLegend,
          'A',
        ),
      ),
    )
    .withPanel(
      timeseries(
        'Rate-limit remaining',
        'Requests left in each rate-limit window reported by ZDX response headers (second, minute, hour, day; "window" for RateLimit-Remaining), lowest across replicas.',
        'short',
        8,
      ).withTarget(query(remainingMin, budgetLegend, 'A')),
    )
    .withPanel(
      timeseries(
        '429 by tenant',
        'Rate-limited responses per second per tenant and ZDX host (one line without tenants).',
        'reqps',
        8,
      )
        .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Shades).fixedColor(COLOR_429))
        .withTarget(
          query(
            rate([LABELS.tenant, LABELS.host], familyMatcher(config, '429')),
            '{{zdx_tenant}} {{server_address}}',
            'A',
          ),
        ),
    )
    .withPanel(
      new TableBuilder()
        .title('Budget by tenant')
        .description("Each tenant's budgets now: remaining (lowest across replicas), limit and share used.")
        .datasource(DS)
        .span(8)
        .height(8)
        .withTarget(instantTable(remainingMin, 'A'))
        .withTarget(instantTable(limitMax, 'B'))
        .withTarget(instantTable(`1 - ${remainingMin}\n/\n(${limitMax} > 0)`, 'C'))
        .withTransformation({ id: 'merge', options: {} })
        .withTransformation({
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            indexByName: { [LABELS.tenant]: 0, [LABELS.host]: 1, [LABELS.window]: 2 },
            renameByName: {
              [LABELS.tenant]: 'Tenant',
              [LABELS.host]: 'ZDX host',
              [LABELS.window]: 'Window',
              'Value #A': 'Remaining',
              'Value #B': 'Limit',
              'Value #C': 'Used',
            },
          },
        })
        .sortBy([sortDesc('Used')])
        .overrideByName('Used', [
          { id: 'unit', value: 'percentunit' },
          { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
          {
            id: 'thresholds',
            value: thresholds([
              [null, 'green'],
              [0.5, 'orange'],
              [b.usedRatio, 'red'],
            ]).build(),
          },
        ]),
    );

  builder.withRow(new dashboard.RowBuilder('Error budget')).withPanel(burnPanel.span(24));

  return builder.build();
}
