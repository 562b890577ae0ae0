/*
 * Checks every PromQL expression of the rules, alerts and dashboard against the metric contract of zdx-otel:
 * the expression must parse, and may only use metric names the library emits (or the rules record), label
 * names those metrics carry, and label values the library produces. Used by test/deploy-promql.test.ts; kept
 * here so that the contract lives next to the generator that must honour it.
 *
 * Parsing uses @prometheus-io/lezer-promql (Prometheus' own grammar for editors): syntax only. Type errors and
 * syntax newer than the Prometheus in CI are caught by also running the expressions through `promtool`.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';
import { ATTRIBUTE_VALUES, METRICS as CONTRACT_METRICS, prometheusLabel } from '../../src/core/contract.ts';
import { LABELS } from './promql.ts';

// The node type comes from the parser's own declarations (@lezer/common is only its dependency, not ours).
type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/**
 * Label names per Prometheus series and the closed value sets, both derived from the library's telemetry
 * contract (src/core/contract.ts): what the library emits is what the rules may use.
 */
export const CONTRACT: { metrics: Record<string, readonly string[]>; values: Record<string, readonly string[]> } = {
  metrics: Object.fromEntries(
    CONTRACT_METRICS.flatMap((metric) =>
      metric.prometheus.map((series) => [
        series,
        [...metric.attributes.map(prometheusLabel), ...(series.endsWith('_bucket') ? ['le'] : [])],
      ]),
    ),
  ),
  // Closed value sets; matchers on these labels may only name these values.
  values: Object.fromEntries(
    Object.entries(ATTRIBUTE_VALUES).map(([attribute, values]) => [prometheusLabel(attribute), values]),
  ),
};

/** What one expression uses. */
export interface PromqlUse {
  /** Offsets of syntax errors (empty when the expression parses). */
  errors: number[];
  /** Selectors: metric name (or '' for a bare `{...}`) and the label matchers on it. */
  selectors: Array<{ metric: string; matchers: Array<{ label: string; op: string; value: string }> }>;
  /** Label names in by/without/on/ignoring/group_left/group_right. */
  groupingLabels: string[];
  /** Function names called. */
  functions: string[];
}

function text(src: string, node: SyntaxNode): string {
  return src.slice(node.from, node.to);
}

/** Unquotes a PromQL string literal ("..." or '...' with Go escapes, or `...` raw). */
function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  return literal
    .slice(1, -1)
    .replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', '\\': '\\', '"': '"', "'": "'" })[c] ?? `\\${c}`);
}

export function analyzePromql(src: string): PromqlUse {
  const use: PromqlUse = { errors: [], selectors: [], groupingLabels: [], functions: [] };
  const tree = parser.parse(src);
  tree.iterate({
    enter: (ref) => {
      if (ref.type.isError) {
        use.errors.push(ref.from);
        return;
      }
      const node = ref.node;
      switch (ref.name) {
        case 'VectorSelector': {
          const id = node.getChild('Identifier');
          const matchers: PromqlUse['selectors'][number]['matchers'] = [];
          const list = node.getChild('LabelMatchers');
          for (let m = list?.firstChild ?? null; m !== null; m = m.nextSibling) {
            if (m.name === 'UnquotedLabelMatcher') {
              const label = m.getChild('LabelName');
              const op = m.getChild('MatchOp');
              const value = m.getChild('StringLiteral');
              if (label && op && value)
                matchers.push({ label: text(src, label), op: text(src, op), value: unquote(text(src, value)) });
            } else if (m.name === 'QuotedLabelMatcher' || m.name === 'QuotedLabelName') {
              // UTF-8 label names: the library never emits them.
              matchers.push({ label: text(src, m), op: '?', value: '' });
            }
          }
          use.selectors.push({ metric: id ? text(src, id) : '', matchers });
          break;
        }
        case 'GroupingLabels':
          for (let l = node.firstChild; l !== null; l = l.nextSibling) {
            if (l.name === 'LabelName' || l.name === 'QuotedLabelName') use.groupingLabels.push(text(src, l));
          }
          break;
        case 'FunctionIdentifier':
          use.functions.push(text(src, node));
          break;
      }
    },
  });
  return use;
}

/** Replaces Grafana's macros and variables with values that keep the expression valid PromQL. */
export function substituteGrafana(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '5m')
    .replace(/\$\{[a-zA-Z_][a-zA-Z0-9_]*(?::[a-z]+)?\}|\$[a-zA-Z_][a-zA-Z0-9_]*/g, '.*');
}

export interface Expression {
  /** Where it came from, for messages: `zdx-api.alerts.yml ZdxApiRateLimited`, `dashboard: panel "..." A`. */
  where: string;
  expr: string;
}

interface RuleFile {
  groups?: Array<{ name: string; rules?: Array<{ record?: string; alert?: string; expr: string }> }>;
}

/** `expr` of every rule in a Prometheus rule file (or a PrometheusRule's spec). */
export function ruleExpressions(file: string, yamlText: string): Expression[] {
  const doc = parseYaml(yamlText) as RuleFile & { spec?: RuleFile };
  const groups = doc.groups ?? doc.spec?.groups ?? [];
  return groups.flatMap((g) =>
    (g.rules ?? []).map((r) => ({ where: `${file} ${g.name} ${r.record ?? r.alert ?? '?'}`, expr: String(r.expr) })),
  );
}

/** Names recorded by a rule file. */
export function recordedNames(yamlText: string): string[] {
  const doc = parseYaml(yamlText) as RuleFile;
  return (doc.groups ?? []).flatMap((g) => (g.rules ?? []).flatMap((r) => (r.record ? [r.record] : [])));
}

interface DashboardJson {
  templating?: { list?: Array<{ name: string; type: string; query?: unknown }> };
  panels?: Array<{ title?: string; targets?: Array<{ expr?: string; refId?: string }>; panels?: unknown[] }>;
}

const LABEL_VALUES = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/s;

/**
 * Every PromQL expression of a dashboard, macros substituted: panel targets, and for `label_values(selector,
 * label)` variable queries the selector plus a `group by (label)` so the label name is checked as well.
 */
export function dashboardExpressions(json: DashboardJson): Expression[] {
  const out: Expression[] = [];
  for (const v of json.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query;
    if (typeof q !== 'string') continue;
    const m = LABEL_VALUES.exec(q.trim());
    out.push({
      where: `dashboard variable ${v.name}`,
      expr: substituteGrafana(m ? `group by (${m[2]}) (${m[1]})` : q),
    });
  }
  const panels = (json.panels ?? []).flatMap((p) => [p, ...((p.panels ?? []) as typeof json.panels & object)]);
  for (const p of panels) {
    for (const t of p.targets ?? []) {
      if (typeof t.expr === 'string')
        out.push({ where: `dashboard panel "${p.title ?? ''}" ${t.refId ?? ''}`, expr: substituteGrafana(t.expr) });
    }
  }
  return out;
}

/** The ```promql blocks of a Markdown file. */
export function markdownExpressions(file: string, markdown: string): Expression[] {
  const out: Expression[] = [];
  for (const block of markdown.matchAll(/```promql\n([\s\S]*?)```/g)) {
    for (const line of (block[1] ?? '').split('\n')) {
      const expr = line.trim();
      if (expr !== '' && !expr.startsWith('#')) out.push({ where: `${file}`, expr });
    }
  }
  return out;
}

export interface ContractOptions {
  /** Names recorded by the rules, usable like metrics (their labels: everything kept by the rules). */
  recorded: readonly string[];
  /** Resource/path labels a selector or grouping may use besides datapoint labels (job, instance, ...). */
  resourceLabels: readonly string[];
  /** Metrics outside the contract that an expression may use (e.g. the Collector's own in the runbook). */
  foreignMetrics?: (metric: string) => boolean;
}

/** Problems with one expression; empty when it parses and stays inside the contract. */
export function contractProblems(e: Expression, options: ContractOptions): string[] {
  const problems: string[] = [];
  const use = analyzePromql(e.expr);
  const say = (message: string): void => {
    problems.push(`${e.where}: ${message}\n    ${e.expr.replace(/\n/g, '\n    ')}`);
  };
  if (use.errors.length > 0) say(`syntax error at offset ${use.errors.join(', ')}`);
  const allLabels = new Set<string>([...Object.values(CONTRACT.metrics).flat(), ...options.resourceLabels]);
  for (const s of use.selectors) {
    const own = CONTRACT.metrics[s.metric];
    const recorded = options.recorded.includes(s.metric);
    const foreign = !own && !recorded && (options.foreignMetrics?.(s.metric) ?? false);
    if (!own && !recorded && !foreign) {
      say(`metric ${s.metric || '(none)'} is neither emitted by zdx-otel nor recorded by the rules`);
      continue;
    }
    if (foreign) continue;
    const permitted = new Set<string>([...(own ?? [...allLabels]), ...options.resourceLabels]);
    for (const m of s.matchers) {
      if (!permitted.has(m.label)) say(`label ${m.label} is not a label of ${s.metric}`);
      const values = CONTRACT.values[m.label];
      if (values && (m.op === '=' || m.op === '=~')) {
        const wanted = m.op === '=' ? [m.value] : m.value.split('|');
        for (const v of wanted)
          if (!values.includes(v)) say(`${m.label}=${JSON.stringify(v)} is not a value the library emits`);
      }
      if (m.label === LABELS.code && (m.op === '=' || m.op === '!=') && !/^[1-5]\d\d$/.test(m.value)) {
        say(`${m.label} value ${JSON.stringify(m.value)} is not a status code`);
      }
    }
  }
  for (const label of use.groupingLabels) {
    if (!allLabels.has(label)) say(`grouping label ${label} is not a label of any zdx-otel metric`);
  }
  return problems;
}
