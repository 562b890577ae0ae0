/*
 * The simulated tenant: departments, locations, geolocations, applications, users, devices, alerts and
 * installed software, generated once from the seed, plus the mutable state of deep traces, analyses and
 * snapshots. Field names follow the official SDKs' models; values are plausible, not real. Time series are
 * derived from (seed, series key, timestamp), so asking twice for the same window returns the same numbers.
 */
import { createRandom, seedToInt, type Random } from './random.js';

export interface Named {
  readonly id: number;
  readonly name: string;
}

export interface Geo {
  readonly id: string;
  readonly name: string;
  readonly geo_type: 'country' | 'region' | 'city';
  /** Both SDKs read a child's label from `description` (the Go and Python top-level models read `name`). */
  readonly description: string;
  readonly children: Geo[];
}

export interface App extends Named {
  readonly score: number;
  readonly total_users: number;
  /** Probe ids: web probes, then Cloud Path probes. */
  readonly webProbes: readonly Named[];
  readonly cloudpathProbes: readonly Named[];
}

export interface User extends Named {
  readonly email: string;
  readonly locationId: number;
  readonly departmentId: number;
  readonly geoId: string;
  readonly deviceIds: number[];
}

export interface Device extends Named {
  readonly userid: number;
  readonly os: string;
  readonly model: string;
  readonly apps: readonly number[];
}

export interface Alert {
  readonly id: string;
  readonly rule_name: string;
  readonly severity: 'critical' | 'high' | 'medium' | 'low';
  readonly alert_type: string;
  readonly ongoing: boolean;
  readonly appId: number;
  readonly started_on: number;
  readonly ended_on: number;
  readonly deviceIds: readonly number[];
  readonly locationIds: readonly number[];
  readonly departmentIds: readonly number[];
}

export interface Software {
  readonly software_key: string;
  readonly software_name: string;
  readonly vendor: string;
  readonly software_group: string;
  readonly sw_install_type: string;
  readonly version: string;
  readonly deviceIds: readonly number[];
}

export interface DeepTrace {
  readonly trace_id: string;
  readonly deviceId: number;
  readonly session_name: string;
  readonly session_length_minutes: number;
  readonly probe_device: boolean;
  readonly app_id: number | undefined;
  /** Simulator clock, ms. */
  readonly createdMs: number;
}

export interface Analysis {
  readonly analysis_id: string;
  readonly device_id: number;
  readonly app_id: number;
  readonly t0: number;
  readonly t1: number;
  readonly createdMs: number;
}

export interface Datapoint {
  timestamp: number;
  value: number;
}

export interface Series {
  metric: string;
  unit: string;
  datapoints: Datapoint[];
}

/** Seconds between two points of a report series (ZDX probes every 5 minutes). */
export const SERIES_STEP_SECONDS = 300;
/** Distance between the seeded anchors of a slowly varying value (see `Dataset.wave`). */
const WAVE_SECONDS = 1800;
/** Deep traces stay `pending` this long before they start collecting. */
export const TRACE_PENDING_MS = 10_000;
/** Analyses take this long to finish. */
export const ANALYSIS_MS = 20_000;

const FIRST = [
  'Ava',
  'Ben',
  'Chen',
  'Dana',
  'Eli',
  'Farah',
  'Gus',
  'Hana',
  'Ivan',
  'Jade',
  'Kofi',
  'Lena',
  'Mateo',
  'Nia',
  'Omar',
  'Priya',
];
const LAST = [
  'Adams',
  'Baker',
  'Costa',
  'Dubois',
  'Evans',
  'Fischer',
  'Garcia',
  'Hughes',
  'Ito',
  'Jensen',
  'Khan',
  'Lopez',
  'Moreau',
  'Novak',
];
const DEPARTMENTS = ['Engineering', 'Finance', 'Sales', 'Marketing', 'Support', 'Legal', 'HR', 'Operations'];
const CITIES: ReadonlyArray<[city: string, region: string, country: string]> = [
  ['San Jose', 'California', 'United States'],
  ['Austin', 'Texas', 'United States'],
  ['New York', 'New York', 'United States'],
  ['London', 'England', 'United Kingdom'],
  ['Frankfurt', 'Hesse', 'Germany'],
  ['Bengaluru', 'Karnataka', 'India'],
  ['Singapore', 'Singapore', 'Singapore'],
  ['Sydney', 'New South Wales', 'Australia'],
];
const APPS = [
  'Microsoft Teams',
  'Zoom',
  'Salesforce',
  'Microsoft Outlook',
  'SharePoint Online',
  'ServiceNow',
  'Box',
  'Slack',
  'Google Workspace',
  'Workday',
  'Webex',
  'GitHub',
];
const MODELS: ReadonlyArray<[model: string, os: string]> = [
  ['Dell Inc. Latitude 7440', 'Windows 11 Enterprise'],
  ['LENOVO ThinkPad T14 Gen 4', 'Windows 11 Pro'],
  ['Apple MacBookPro18,3', 'macOS 14.6'],
  ['HP EliteBook 840 G10', 'Windows 10 Enterprise'],
  ['Apple MacBookAir10,1', 'macOS 15.1'],
];
const SOFTWARE: ReadonlyArray<[name: string, vendor: string, group: string]> = [
  ['Google Chrome', 'Google LLC', 'Browsers'],
  ['Mozilla Firefox', 'Mozilla', 'Browsers'],
  ['Zscaler Client Connector', 'Zscaler Inc.', 'Security'],
  ['Microsoft Teams', 'Microsoft Corporation', 'Collaboration'],
  ['Zoom Workplace', 'Zoom Video Communications', 'Collaboration'],
  ['Slack', 'Slack Technologies', 'Collaboration'],
  ['Microsoft 365 Apps', 'Microsoft Corporation', 'Productivity'],
  ['Adobe Acrobat Reader', 'Adobe Inc.', 'Productivity'],
  ['Visual Studio Code', 'Microsoft Corporation', 'Development'],
  ['Docker Desktop', 'Docker Inc.', 'Development'],
  ['7-Zip', 'Igor Pavlov', 'Utilities'],
  ['Notepad++', 'Notepad++ Team', 'Utilities'],
  ['CrowdStrike Falcon Sensor', 'CrowdStrike', 'Security'],
  ['Cisco Webex Meetings', 'Cisco Systems', 'Collaboration'],
  ['Python 3.12', 'Python Software Foundation', 'Development'],
];
const ALERT_RULES = [
  'Poor ZDX Score',
  'High DNS Time',
  'Page Fetch Time Degraded',
  'Packet Loss on Cloud Path',
  'Wi-Fi Signal Weak',
  'High CPU Usage',
];

export interface DatasetSizes {
  readonly users: number;
  readonly alerts: number;
}

export const DEFAULT_SIZES: DatasetSizes = { users: 120, alerts: 64 };

export class Dataset {
  readonly departments: readonly Named[];
  readonly locations: readonly Named[];
  readonly geos: readonly Geo[];
  readonly apps: readonly App[];
  readonly users: readonly User[];
  readonly devices: readonly Device[];
  readonly alerts: readonly Alert[];
  readonly software: readonly Software[];

  readonly deepTraces = new Map<string, DeepTrace>();
  readonly analyses = new Map<string, Analysis>();
  private nextTraceId: number;
  private nextAnalysisId: number;
  private nextSnapshotId = 1;

  private readonly appsById: Map<number, App>;
  private readonly usersById: Map<number, User>;
  private readonly devicesById: Map<number, Device>;
  private readonly alertsById: Map<string, Alert>;
  private readonly softwareByKey: Map<string, Software>;

  constructor(
    private readonly seed: number | string,
    /** Simulator clock at start (ms); alert times are placed before it. */
    startMs: number,
    sizes: DatasetSizes = DEFAULT_SIZES,
  ) {
    const rng = createRandom(seed, 0x0da7a);
    this.departments = DEPARTMENTS.map((name, i) => ({ id: 40_000 + i * 17, name }));
    this.locations = CITIES.map(([city], i) => ({ id: 58_000 + i * 23, name: `${city} Office` }));
    this.geos = geoTree();
    this.apps = APPS.map((name, i) => {
      const id = i + 1;
      return {
        id,
        name,
        score: rng.int(55, 98),
        total_users: 0,
        webProbes: [{ id: id * 10 + 1, name: `${name} Web Probe` }],
        cloudpathProbes: [{ id: id * 10 + 2, name: `${name} Cloud Path Probe` }],
      };
    });

    const users: User[] = [];
    const devices: Device[] = [];
    for (let i = 0; i < sizes.users; i++) {
      const first = rng.pick(FIRST);
      const last = rng.pick(LAST);
      const cityIndex = rng.int(0, CITIES.length - 1);
      const user: User = {
        id: 24_328_800 + i * 7,
        name: `${first} ${last}`,
        email: `${first}.${last}${i}@example.com`.toLowerCase(),
        locationId: this.locations[cityIndex]!.id,
        departmentId: rng.pick(this.departments).id,
        geoId: cityGeoId(cityIndex),
        deviceIds: [],
      };
      const deviceCount = rng.chance(0.2) ? 2 : 1;
      for (let d = 0; d < deviceCount; d++) {
        const [model, os] = rng.pick(MODELS);
        const id = 132_559_000 + devices.length * 11;
        const apps = this.apps.filter(() => rng.chance(0.6)).map((a) => a.id);
        devices.push({
          id,
          name: `${first.toUpperCase()}-${String(id).slice(-4)} (${model} ${os})`,
          userid: user.id,
          os,
          model,
          apps: apps.length > 0 ? apps : [1],
        });
        user.deviceIds.push(id);
      }
      users.push(user);
    }
    this.users = users;
    this.devices = devices;
    for (const app of this.apps) {
      (app as { total_users: number }).total_users = users.filter((u) =>
        u.deviceIds.some((d) => devices.find((x) => x.id === d)?.apps.includes(app.id)),
      ).length;
    }

    const startS = Math.floor(startMs / 1000);
    const alerts: Alert[] = [];
    for (let i = 0; i < sizes.alerts; i++) {
      const ongoing = i % 3 !== 0;
      const started = startS - rng.int(600, 10 * 86_400);
      const affected = Array.from({ length: rng.int(1, 25) }, () => rng.pick(devices).id);
      alerts.push({
        // ZDX alert ids are 64-bit integers (the Go SDK reads them as int; the Python docs show 19 digits). The
        // simulator's stay below 2^53, so a JavaScript client can read them from JSON and send them back.
        id: `7473160764${String(21_179 + i * 79).padStart(6, '0')}`,
        rule_name: rng.pick(ALERT_RULES),
        severity: rng.pick(['critical', 'high', 'medium', 'low'] as const),
        alert_type: rng.pick(['ZDX_SCORE', 'WEB_PROBE', 'CLOUDPATH_PROBE', 'DEVICE_HEALTH']),
        ongoing,
        appId: rng.pick(this.apps).id,
        started_on: started,
        ended_on: ongoing ? 0 : started + rng.int(300, 7200),
        deviceIds: [...new Set(affected)],
        locationIds: [rng.pick(this.locations).id],
        departmentIds: [rng.pick(this.departments).id],
      });
    }
    this.alerts = alerts;

    this.software = SOFTWARE.flatMap(([name, vendor, group], i) =>
      ['1', '2'].map((major, v) => ({
        software_key: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '')}${major}`,
        software_name: name,
        vendor,
        software_group: group,
        sw_install_type: i % 4 === 0 ? 'System' : 'User',
        version: `${major}.${rng.int(0, 40)}.${rng.int(0, 999)}`,
        deviceIds: devices.filter(() => rng.chance(v === 0 ? 0.5 : 0.2)).map((d) => d.id),
      })),
    );

    this.appsById = new Map(this.apps.map((a) => [a.id, a]));
    this.usersById = new Map(this.users.map((u) => [u.id, u]));
    this.devicesById = new Map(this.devices.map((d) => [d.id, d]));
    this.alertsById = new Map(this.alerts.map((a) => [a.id, a]));
    this.softwareByKey = new Map(this.software.map((s) => [s.software_key, s]));
    this.nextTraceId = 41_720 + rng.int(0, 999);
    this.nextAnalysisId = 8_100 + rng.int(0, 99);
  }

  app(id: number): App | undefined {
    return this.appsById.get(id);
  }
  user(id: number): User | undefined {
    return this.usersById.get(id);
  }
  device(id: number): Device | undefined {
    return this.devicesById.get(id);
  }
  alert(id: string): Alert | undefined {
    return this.alertsById.get(id);
  }
  softwareItem(key: string): Software | undefined {
    return this.softwareByKey.get(key);
  }

  newTraceId(): string {
    return String(this.nextTraceId++);
  }
  newAnalysisId(): string {
    return String(this.nextAnalysisId++);
  }
  newSnapshotId(): string {
    return `snap-${String(this.nextSnapshotId++).padStart(6, '0')}`;
  }

  /** A stream tied to `key`, so generated values for the same key are identical on every call. */
  random(key: string): Random {
    return createRandom(this.seed, seedToInt(key));
  }

  /**
   * A slowly varying value in [-1, 1] for `key` at epoch second `t`: seeded anchors every `WAVE_SECONDS`,
   * joined by cosine interpolation. Real scores and latencies drift over tens of minutes; they do not jump
   * between two calls a second apart, and the same instant always gives the same value.
   */
  wave(key: string, t: number): number {
    const slot = Math.floor(t / WAVE_SECONDS);
    const anchor = (n: number) => this.random(`${key}|wave|${n}`).next() * 2 - 1;
    const f = (t - slot * WAVE_SECONDS) / WAVE_SECONDS;
    const w = (1 - Math.cos(Math.PI * f)) / 2;
    return anchor(slot) * (1 - w) + anchor(slot + 1) * w;
  }

  /**
   * The ZDX score (0-100) of `key` around `base` for the report step holding epoch second `t`: it changes
   * once per 5-minute step and drifts slowly, so two calls in the same step see the same score.
   */
  scoreAt(key: string, base: number, t: number): number {
    const step = Math.floor(t / SERIES_STEP_SECONDS) * SERIES_STEP_SECONDS;
    return Math.min(100, Math.max(0, Math.round(base + 10 * this.wave(key, step))));
  }

  /**
   * Points every 5 minutes from `from` to `to`, aligned to the step: a slow drift around `base` of up to
   * `spread`, plus a little per-point noise. A `noData` fraction of points get -1, which ZDX uses for "no data".
   */
  series(
    key: string,
    metric: string,
    unit: string,
    from: number,
    to: number,
    base: number,
    spread: number,
    noData = 0,
  ): Series {
    const datapoints: Datapoint[] = [];
    const first = Math.ceil(from / SERIES_STEP_SECONDS) * SERIES_STEP_SECONDS;
    for (let t = first; t <= to; t += SERIES_STEP_SECONDS) {
      const r = this.random(`${key}|${metric}|${t}`);
      const drift = spread * (this.wave(`${key}|${metric}`, t) + 0.25 * r.normal());
      const value = r.chance(noData) ? -1 : Math.max(0, Math.round((base + drift) * 100) / 100);
      datapoints.push({ timestamp: t, value });
    }
    return { metric, unit, datapoints };
  }
}

function cityGeoId(cityIndex: number): string {
  return `city.${cityIndex}`;
}

function geoTree(): Geo[] {
  const countries = new Map<string, Geo>();
  CITIES.forEach(([city, region, country], i) => {
    let c = countries.get(country);
    if (c === undefined) {
      c = { id: `country.${countries.size}`, name: country, geo_type: 'country', description: country, children: [] };
      countries.set(country, c);
    }
    let r = c.children.find((x) => x.name === region);
    if (r === undefined) {
      r = { id: `region.${i}`, name: region, geo_type: 'region', description: `${region}, ${country}`, children: [] };
      c.children.push(r);
    }
    r.children.push({
      id: cityGeoId(i),
      name: city,
      geo_type: 'city',
      description: `${city}, ${region}, ${country}`,
      children: [],
    });
  });
  return [...countries.values()];
}

/**
 * The geolocation record ZDX nests in bodies (`most_impacted_region`, a user device's `geo_loc`), for a city
 * id. Every such object names the first-level division `state`, as the SDKs' user models do (see
 * scenarios/README.md for why `most_impacted_region` follows them too).
 */
export function geoOf(geoId: string): { id: string; city: string; state: string; country: string; geo_type: string } {
  const index = Number(geoId.split('.')[1] ?? 0);
  const [city, state, country] = CITIES[index] ?? CITIES[0]!;
  return { id: geoId, city, state, country, geo_type: 'city' };
}
