/**
 * deploy/ pipeline configs, checked without Docker or Kubernetes:
 *   - every YAML file parses (all documents),
 *   - the Collector configs are complete pipelines with memory_limiter first and current component names,
 *   - docker-compose pins every image and mounts only files that exist,
 *   - Prometheus' config passes `promtool check config` and loads the generated rules,
 *   - Alertmanager's config passes `amtool check-config`, routes by severity, and groups and inhibits only on
 *     labels the alerts carry,
 *   - the Kubernetes manifests reference each other consistently and embed the generated files,
 *   - the README says how to run each piece.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, test } from 'vitest';
import { alertGroups } from '../../deploy/src/alerts.ts';
import { DEFAULT_CONFIG } from '../../deploy/src/config.ts';
import { COLLECTOR_CONFIG, OUTPUTS } from '../../deploy/src/render.ts';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const read = (file: string): string => readFileSync(path.join(DEPLOY, file), 'utf8');
const yaml = <T>(file: string): T => parse(read(file)) as T;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : walk(full);
    return [full];
  });
}
const yamlFiles = walk(DEPLOY)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => path.relative(DEPLOY, f))
  .sort();

describe('YAML', () => {
  test('the expected files are all there', () => {
    for (const file of [
      'docker-compose.yml',
      'prometheus/prometheus.yml',
      'alertmanager/alertmanager.yml',
      'grafana/provisioning/datasources/prometheus.yml',
      'grafana/provisioning/dashboards/zdx.yml',
      'otel-collector/config.yaml',
      'otel-collector/config.otlp.yaml',
      'otel-collector/config.scrape.yaml',
      'k8s/kustomization.yaml',
      'k8s/otel-collector.yaml',
      OUTPUTS.k8sRule,
      OUTPUTS.k8sDashboard,
      OUTPUTS.k8sCollectorConfig,
    ]) {
      expect(yamlFiles).toContain(file);
    }
  });

  test.each(yamlFiles)('%s parses without errors or warnings', (file) => {
    const docs = parseAllDocuments(read(file));
    const list = Array.isArray(docs) ? docs : [docs];
    expect(list.length).toBeGreaterThan(0);
    for (const doc of list) {
      expect(doc.errors.map((e) => e.message)).toEqual([]);
      expect(doc.warnings.map((e) => e.message)).toEqual([]);
      expect(doc.toJS()).toBeTypeOf('object');
    }
  });
});

interface CollectorConfig {
  extensions?: Record<string, unknown>;
  receivers: Record<string, { protocols?: { http?: { endpoint?: string } } }>;
  processors?: Record<string, Record<string, unknown>>;
  exporters: Record<string, { endpoint?: string; tls?: { insecure?: boolean } }>;
  service: {
    extensions?: string[];
    telemetry?: unknown;
    pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }>;
  };
}

// Pre-2026 names that the Collector now only keeps as deprecated aliases.
const DEPRECATED = new Set(['prometheusremotewrite', 'otlphttp', 'spanmetrics', 'healthcheck', 'memorylimiter']);

describe.each(['otel-collector/config.yaml', 'otel-collector/config.otlp.yaml', 'otel-collector/config.scrape.yaml'])(
  'Collector %s',
  (file) => {
    const config = yaml<CollectorConfig>(file);
    const metrics = config.service.pipelines.metrics;

    test('OTLP/HTTP in on 4318, a metrics pipeline, memory_limiter first', () => {
      expect(config.receivers.otlp?.protocols?.http?.endpoint).toMatch(/4318/);
      expect(metrics?.receivers).toEqual(['otlp']);
      expect(metrics?.processors?.[0]).toBe('memory_limiter');
      expect(config.processors?.memory_limiter).toMatchObject({ check_interval: expect.any(String) });
    });

    test('every component in the pipeline is defined and every defined one is used', () => {
      const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
      for (const p of Object.values(config.service.pipelines)) {
        p.receivers.forEach((r) => used.receivers.add(r));
        (p.processors ?? []).forEach((r) => used.processors.add(r));
        p.exporters.forEach((r) => used.exporters.add(r));
      }
      expect([...used.receivers].sort()).toEqual(Object.keys(config.receivers).sort());
      expect([...used.processors].sort()).toEqual(Object.keys(config.processors ?? {}).sort());
      expect([...used.exporters].sort()).toEqual(Object.keys(config.exporters).sort());
      expect(config.service.extensions?.sort()).toEqual(Object.keys(config.extensions ?? {}).sort());
    });

    test('component types use the current lower_snake_case names', () => {
      const ids = [
        ...Object.keys(config.receivers),
        ...Object.keys(config.processors ?? {}),
        ...Object.keys(config.exporters),
        ...Object.keys(config.extensions ?? {}),
      ];
      for (const id of ids) {
        const type = id.split('/')[0] ?? id;
        expect(type).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(DEPRECATED.has(type), `${type} is a deprecated alias`).toBe(false);
      }
      // `otlp` is only a receiver name now; the exporters are otlp_grpc / otlp_http.
      expect(Object.keys(config.exporters).some((id) => id.split('/')[0] === 'otlp')).toBe(false);
    });

    test('environment references use ${env:NAME:-default}, so the file works unchanged in compose and Kubernetes', () => {
      const refs = read(file).match(/\$\{[^}]*\}/g) ?? [];
      for (const ref of refs) expect(ref).toMatch(/^\$\{env:[A-Z_][A-Z0-9_]*:-[^}]+\}$/);
    });

    test('exports to Prometheus in a way that gives the contract names', () => {
      const [id, exporter] = Object.entries(config.exporters)[0] ?? [];
      if (id === 'prometheus_remote_write') expect(exporter?.endpoint).toMatch(/\/api\/v1\/write\}?$/);
      else if (id?.startsWith('otlp_http')) expect(exporter?.endpoint).toMatch(/\/api\/v1\/otlp\}?$/);
      else expect(id).toBe('prometheus');
      // Suffix-adding is the default everywhere; switching it off would rename zdx_api_request_duration_seconds_*.
      expect(read(file)).not.toMatch(
        /add_metric_suffixes:\s*false|translation_strategy:\s*\w*WithoutSuffixes|NoTranslation/,
      );
    });
  },
);

interface Compose {
  services: Record<
    string,
    {
      image: string;
      command?: string[];
      volumes?: string[];
      ports?: string[];
      environment?: Record<string, string>;
      depends_on?: string[];
    }
  >;
}

describe('docker-compose.yml', () => {
  const compose = yaml<Compose>('docker-compose.yml');
  const services = compose.services;

  test('Collector, Prometheus, Alertmanager and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(['alertmanager', 'grafana', 'otel-collector', 'prometheus']);
  });

  test.each(Object.entries(compose.services))('%s pins its image to a version', (_, service) => {
    expect(service.image).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+$/);
    expect(service.image).not.toMatch(/:latest$/);
  });

  test('every mounted host path exists (with the default Collector config)', () => {
    for (const service of Object.values(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.replace(/\$\{ZDX_COLLECTOR_CONFIG:-([^}]+)\}/, '$1').split(':')[0] ?? '';
        if (!source.startsWith('./')) continue; // named volume
        expect(existsSync(path.join(DEPLOY, source)), source).toBe(true);
      }
    }
  });

  test('Prometheus receives pushes and reaches Alertmanager; Grafana gets provisioning and dashboards', () => {
    expect(services.prometheus?.command).toEqual(
      expect.arrayContaining(['--web.enable-remote-write-receiver', '--web.enable-otlp-receiver']),
    );
    const prom = yaml<{ alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> } }>(
      'prometheus/prometheus.yml',
    );
    expect(prom.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(['alertmanager:9093']);
    expect(services['otel-collector']?.environment?.PROMETHEUS_REMOTE_WRITE_URL).toBe(
      'http://prometheus:9090/api/v1/write',
    );
    expect(services['otel-collector']?.ports).toContain('4318:4318');
    const provider = yaml<{ providers: Array<{ options: { path: string } }> }>(
      'grafana/provisioning/dashboards/zdx.yml',
    );
    const dashboardsMount = services.grafana?.volumes?.find((v) => v.startsWith('./grafana/dashboards:'));
    expect(dashboardsMount?.split(':')[1]).toBe(provider.providers[0]?.options.path);
    const datasources = yaml<{ datasources: Array<{ type: string; url: string }> }>(
      'grafana/provisioning/datasources/prometheus.yml',
    );
    expect(datasources.datasources.map((d) => `${d.type} ${d.url}`)).toEqual([
      'prometheus http://prometheus:9090',
      'alertmanager http://alertmanager:9093',
    ]);
  });

  test('the Collector image matches the Kubernetes Deployment', () => {
    const deployment = parseAllDocuments(read('k8s/otel-collector.yaml'))
      .map((d) => d.toJS() as { kind: string; spec: { template: { spec: { containers: Array<{ image: string }> } } } })
      .find((d) => d.kind === 'Deployment');
    expect(deployment?.spec.template.spec.containers[0]?.image).toBe(services['otel-collector']?.image);
  });
});

describe('Prometheus and Alertmanager configs', () => {
  test('promtool check config accepts prometheus.yml and the rule files it loads', () => {
    const run = spawnSync('promtool', ['check', 'config', path.join(DEPLOY, 'prometheus/prometheus.yml')], {
      encoding: 'utf8',
    });
    if (run.error)
      throw new Error(
        `promtool could not run (${run.error.message}): apt-get install -y --no-install-recommends prometheus`,
      );
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).toContain('SUCCESS: 2 rule files found');
    expect(output).toContain('zdx-api.rules.yml');
    expect(output).toContain('zdx-api.alerts.yml');
  });

  test('alertmanager.yml routes to receivers that exist and inhibits warnings under criticals', () => {
    const am = yaml<{
      route: { receiver: string; routes: Array<{ receiver: string; matchers: string[] }> };
      receivers: Array<{ name: string }>;
      inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[]; equal: string[] }>;
    }>('alertmanager/alertmanager.yml');
    const names = am.receivers.map((r) => r.name);
    expect(names).toContain(am.route.receiver);
    for (const r of am.route.routes) expect(names).toContain(r.receiver);
    expect(am.inhibit_rules[0]).toMatchObject({
      source_matchers: ['severity="critical"'],
      target_matchers: ['severity="warning"'],
    });
  });

  /** amtool from Debian's prometheus-alertmanager; missing fails (never skips). */
  function amtool(...args: string[]): { status: number; output: string } {
    const run = spawnSync('amtool', args, { encoding: 'utf8', timeout: 60_000 });
    if (run.error) {
      throw new Error(
        `amtool could not run (${run.error.message}). Run \`bash .ci/install-backends.sh\` (apt package prometheus-alertmanager).`,
      );
    }
    return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
  }

  test('amtool check-config accepts alertmanager.yml', () => {
    const { status, output } = amtool('check-config', path.join(DEPLOY, 'alertmanager/alertmanager.yml'));
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });

  test('amtool routes critical alerts to page and the rest to ticket', () => {
    const file = `--config.file=${path.join(DEPLOY, 'alertmanager/alertmanager.yml')}`;
    const receiver = (...labels: string[]): string =>
      amtool('config', 'routes', 'test', file, ...labels)
        .output.split('\n')[0]!
        .trim();
    expect(receiver('alertname=ZdxApiRateLimited', 'severity=critical', 'server_address=api.zdxcloud.net')).toBe(
      'page',
    );
    expect(receiver('alertname=ZdxApiRateLimited', 'severity=warning', 'server_address=api.zdxcloud.net')).toBe(
      'ticket',
    );
    expect(receiver('alertname=ZdxApiRateLimitBudgetLow', 'severity=warning', 'zdx_tenant=acme')).toBe('ticket');
  });

  test('grouping and inhibition use only labels the alerts carry', () => {
    const am = yaml<{
      route: { group_by: string[] };
      inhibit_rules: Array<{ equal: string[]; source_matchers: string[]; target_matchers: string[] }>;
    }>('alertmanager/alertmanager.yml');
    const rules = alertGroups(DEFAULT_CONFIG).flatMap((g) => g.rules);
    // Labels an alert can have: alertname, its rule labels, and every label its expression keeps (by/on clauses).
    const carried = new Set([
      'alertname',
      ...rules.flatMap((r) => [
        ...Object.keys(r.labels),
        ...[...r.expr.matchAll(/\b(?:by|on) \(([^)]*)\)/g)].flatMap((m) => (m[1] ?? '').split(/,\s*/)),
      ]),
    ]);
    for (const label of [...am.route.group_by, ...am.inhibit_rules.flatMap((r) => r.equal)]) {
      expect(carried.has(label) || label === 'zdx_rate_limit_window', `${label} is on no alert`).toBe(true);
    }
    const names = new Set(rules.map((r) => r.alert));
    for (const matcher of am.inhibit_rules.flatMap((r) => [...r.source_matchers, ...r.target_matchers])) {
      const m = /^alertname=~?"(.+)"$/.exec(matcher);
      if (m) for (const name of (m[1] ?? '').split('|')) expect(names.has(name), `${name} is not an alert`).toBe(true);
    }
  });
});

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

describe('Kubernetes manifests', () => {
  const kustomization = yaml<{ resources: string[] }>('k8s/kustomization.yaml');
  const objects = kustomization.resources.flatMap((file) =>
    parseAllDocuments(read(path.join('k8s', file))).map((d) => ({ file, obj: d.toJS() as K8sObject })),
  );
  const find = (kind: string, name?: string): K8sObject => {
    const hit = objects.find((o) => o.obj.kind === kind && (name === undefined || o.obj.metadata.name === name));
    if (!hit) throw new Error(`no ${kind} ${name ?? ''}`);
    return hit.obj;
  };

  test('kustomization lists every manifest in k8s/, and each object is well-formed', () => {
    const files = readdirSync(path.join(DEPLOY, 'k8s')).filter((f) => f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    for (const { file, obj } of objects) {
      expect(obj.apiVersion, file).toMatch(/^[\w.]+(\/v\w+)?$|^v1$/);
      expect(obj.metadata.name, file).toMatch(/^[a-z0-9-]+$/);
    }
    expect(objects.map((o) => o.obj.kind).sort()).toEqual(
      [
        'ConfigMap',
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
        'PrometheusRule',
        'Service',
      ].sort(),
    );
  });

  test('the gateway Deployment mounts the generated Collector ConfigMap and the Service selects its pods', () => {
    const deployment = find('Deployment') as K8sObject & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        template: {
          metadata: { labels: Record<string, string> };
          spec: {
            containers: Array<{
              args: string[];
              ports: Array<{ name: string; containerPort: number }>;
              volumeMounts: Array<{ name: string; mountPath: string }>;
              resources: { limits: { memory: string } };
            }>;
            volumes: Array<{ name: string; configMap: { name: string } }>;
          };
        };
      };
    };
    const pod = deployment.spec.template;
    const container = pod.spec.containers[0];
    expect(container?.resources.limits.memory).toBeDefined();
    const configMap = find('ConfigMap', 'zdx-otel-collector');
    const volume = pod.spec.volumes.find((v) => v.configMap.name === configMap.metadata.name);
    const mount = container?.volumeMounts.find((m) => m.name === volume?.name);
    expect(container?.args).toContain(`--config=${mount?.mountPath}/config.yaml`);
    expect(configMap.data?.['config.yaml']).toBe(read(COLLECTOR_CONFIG));
    expect(pod.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);

    const service = find('Service') as K8sObject & {
      spec: { selector: Record<string, string>; ports: Array<{ port: number; targetPort: string }> };
    };
    expect(pod.metadata.labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports.map((p) => p.port)).toContain(4318);
    for (const p of service.spec.ports) expect(container?.ports.map((c) => c.name)).toContain(p.targetPort);

    const hpa = find('HorizontalPodAutoscaler') as K8sObject & {
      spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number };
    };
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    const pdb = find('PodDisruptionBudget') as K8sObject & {
      spec: { selector: { matchLabels: Record<string, string> } };
    };
    expect(pod.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
  });

  test('PrometheusRule and dashboard ConfigMap embed exactly the generated files', () => {
    const rule = find('PrometheusRule') as K8sObject & { spec: { groups: unknown[] } };
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    const rules = yaml<{ groups: unknown[] }>(OUTPUTS.rules);
    const alerts = yaml<{ groups: unknown[] }>(OUTPUTS.alerts);
    expect(rule.spec.groups).toEqual([...rules.groups, ...alerts.groups]);
    const dashboard = find('ConfigMap', 'zdx-otel-dashboard');
    expect(dashboard.metadata.labels?.grafana_dashboard).toBe('1');
    expect(dashboard.data?.['zdx-api.json']).toBe(read(OUTPUTS.dashboard));
  });
});

describe('README', () => {
  const readme = read('README.md');
  test.each([
    ['generate', 'node deploy/src/generate.ts'],
    ['check rules', 'promtool check rules'],
    ['test rules', 'promtool test rules'],
    ['compose', 'docker compose up'],
    ['kubernetes', 'kubectl apply -n monitoring -k deploy/k8s'],
    ['fast example', 'examples/fast.json'],
    ['collector variants', 'config.otlp.yaml'],
  ])('says how to %s', (_, text) => {
    expect(readme).toContain(text);
  });

  test('names the pinned image versions that docker-compose.yml uses', () => {
    for (const service of Object.values(yaml<Compose>('docker-compose.yml').services))
      expect(readme).toContain(service.image);
  });
});
