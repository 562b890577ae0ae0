/*
 * Matches request paths against the endpoint catalog. Every catalog template is served both at `/v1/...`
 * (direct host) and `/zdx/v1/...` (OneAPI). Empty segments are skipped, as the instrumentation's templater
 * skips them, so a trailing slash and a doubled one (`.../cloudpath-probes/{id}//cloudpath`, which the Go SDK
 * sends) reach the same endpoint as the clean path. Two spellings seen in the wild are accepted too:
 * `/zdx/snapshot/...` without `/v1` (Automation Hub) and `/inventory/softwares/...` (help).
 * Static segments beat parameters, so `/v1/alerts/ongoing` is not read as `/v1/alerts/{alert_id}`.
 */
import type { ZdxEndpoint } from '../../core/catalog/endpoints.js';

export type RouteResult =
  | {
      readonly kind: 'match';
      readonly endpoint: ZdxEndpoint;
      readonly params: Readonly<Record<string, string>>;
      /** Whether the path came through OneAPI (`/zdx/...`). */
      readonly oneApi: boolean;
    }
  /** The path exists but not for this method. */
  | { readonly kind: 'method'; readonly allow: readonly string[] }
  | { readonly kind: 'none' }
  /** The path cannot be decoded (bad percent-encoding). */
  | { readonly kind: 'malformed'; readonly message: string };

interface CompiledTemplate {
  readonly template: string;
  /** Static text, or undefined for a parameter. */
  readonly segments: ReadonlyArray<string | undefined>;
  readonly names: readonly string[];
  /** Methods served on this template, each with its endpoint. */
  readonly byMethod: ReadonlyMap<string, ZdxEndpoint>;
}

export class Router {
  private readonly templates: CompiledTemplate[] = [];

  constructor(endpoints: readonly ZdxEndpoint[]) {
    const grouped = new Map<string, Map<string, ZdxEndpoint>>();
    for (const endpoint of endpoints) {
      let methods = grouped.get(endpoint.template);
      if (methods === undefined) grouped.set(endpoint.template, (methods = new Map()));
      methods.set(endpoint.method.toUpperCase(), endpoint);
    }
    for (const [template, byMethod] of grouped) {
      const parts = template.split('/').slice(1);
      this.templates.push({
        template,
        segments: parts.map((p) => (/^\{[^}]+\}$/.test(p) ? undefined : p)),
        names: parts.filter((p) => /^\{[^}]+\}$/.test(p)).map((p) => p.slice(1, -1)),
        byMethod,
      });
    }
  }

  match(method: string, pathname: string): RouteResult {
    const normalised = normalise(pathname);
    if (normalised === undefined) return { kind: 'malformed', message: 'the path has invalid percent-encoding' };
    const { segments, oneApi } = normalised;
    let best: CompiledTemplate | undefined;
    let bestValues: string[] = [];
    for (const t of this.templates) {
      if (t.segments.length !== segments.length) continue;
      const values: string[] = [];
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        const fixed = t.segments[i];
        const actual = segments[i]!;
        if (fixed === undefined) {
          if (actual === '') ok = false;
          else values.push(actual);
        } else if (fixed !== actual) ok = false;
      }
      if (ok && (best === undefined || moreSpecific(t, best))) {
        best = t;
        bestValues = values;
      }
    }
    if (best === undefined) return { kind: 'none' };
    // HEAD is answered like GET (Node drops the body), as HTTP expects of any GET resource.
    const endpoint = best.byMethod.get(method === 'HEAD' ? 'GET' : method);
    if (endpoint === undefined) return { kind: 'method', allow: [...best.byMethod.keys()] };
    const params: Record<string, string> = {};
    best.names.forEach((name, i) => {
      params[name] = bestValues[i] ?? '';
    });
    return { kind: 'match', endpoint, params, oneApi };
  }
}

// The template whose first differing segment is static is the more specific one.
function moreSpecific(a: CompiledTemplate, b: CompiledTemplate): boolean {
  for (let i = 0; i < a.segments.length; i++) {
    const aStatic = a.segments[i] !== undefined;
    const bStatic = b.segments[i] !== undefined;
    if (aStatic !== bStatic) return aStatic;
  }
  return false;
}

/** Decoded path segments in canonical `/v1/...` form, or undefined if a segment cannot be decoded. */
function normalise(pathname: string): { segments: string[]; oneApi: boolean } | undefined {
  let parts = pathname.split('/').filter((p) => p !== '');
  const oneApi = parts[0] === 'zdx';
  if (oneApi) {
    parts = parts.slice(1);
    if (parts[0] === 'snapshot') parts.unshift('v1');
  }
  if (parts[1] === 'inventory' && parts[2] === 'softwares') parts[2] = 'software';
  const decoded: string[] = [];
  for (const part of parts) {
    try {
      decoded.push(decodeURIComponent(part));
    } catch {
      return undefined;
    }
  }
  return { segments: decoded, oneApi };
}
