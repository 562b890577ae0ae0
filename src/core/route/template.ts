/*
 * Turns the path of a ZDX call into a low-cardinality route template (`url.template`). The endpoint catalog is
 * compiled once into a segment trie that is walked by index, so a known path costs no allocation beyond the
 * returned (shared) template string. Paths the catalog does not know get a generic template in which anything
 * that could be an id or personal data is `{id}`; the number of such templates is capped.
 */
import { ZDX_ENDPOINTS } from '../catalog/endpoints.js';
import { ZdxConfigError } from '../errors.js';
import { compileHostMatcher, type HostMatcher } from './hosts.js';

/** The single template shared by every unknown path once `maxUnknownTemplates` distinct ones exist. */
export const OVERFLOW_TEMPLATE = '/{other}';
/** Generic templates keep at most this many segments; the rest collapse into one `{...}` segment. */
export const MAX_UNKNOWN_SEGMENTS = 8;
export const DEFAULT_MAX_UNKNOWN_TEMPLATES = 50;
const MAX_UNKNOWN_TEMPLATES_LIMIT = 10_000;

/** Spellings seen in the wild for a catalog segment: SDKs send `software`, help and the hub `softwares`. */
const SEGMENT_ALIASES: ReadonlyMap<string, readonly string[]> = new Map([['software', ['softwares']]]);

const SLASH = 0x2f;

interface TrieNode {
  /** Static children, compared in place (length, then characters) so no substring is made per segment. */
  readonly statics: { readonly name: string; readonly node: TrieNode }[];
  param: TrieNode | undefined;
  template: string | undefined;
}

function newNode(): TrieNode {
  return { statics: [], param: undefined, template: undefined };
}

function compileTrie(): TrieNode {
  const root = newNode();
  for (const { template } of ZDX_ENDPOINTS) {
    // Templates all start with `/v1/`; `/v1` is optional in request paths, so the trie starts after it.
    let node = root;
    for (const segment of template.slice('/v1/'.length).split('/')) {
      if (segment.startsWith('{')) {
        node.param ??= newNode();
        node = node.param;
        continue;
      }
      let child = node.statics.find((s) => s.name === segment)?.node;
      if (child === undefined) {
        child = newNode();
        node.statics.push({ name: segment, node: child });
        for (const alias of SEGMENT_ALIASES.get(segment) ?? []) node.statics.push({ name: alias, node: child });
      }
      node = child;
    }
    node.template = template;
  }
  return root;
}

/** Index just past the last path character: the first `?` or `#`, or the end. */
function pathEnd(path: string, from: number): number {
  let end = path.length;
  const q = path.indexOf('?', from);
  if (q >= 0) end = q;
  const h = path.indexOf('#', from);
  if (h >= 0 && h < end) end = h;
  return end;
}

function skipSlashes(path: string, i: number, end: number): number {
  while (i < end && path.charCodeAt(i) === SLASH) i++;
  return i;
}

function segmentEnd(path: string, start: number, end: number): number {
  const slash = path.indexOf('/', start);
  return slash < 0 || slash > end ? end : slash;
}

function segmentIs(path: string, start: number, stop: number, name: string): boolean {
  return stop - start === name.length && path.startsWith(name, start);
}

/** Where the API path proper starts: after an optional `/zdx` (OneAPI) and an optional `/v1`. */
function apiStart(path: string, offset: number, end: number): { zdx: number; api: number } {
  let i = skipSlashes(path, offset, end);
  let stop = segmentEnd(path, i, end);
  if (segmentIs(path, i, stop, 'zdx')) i = skipSlashes(path, stop, end);
  const zdx = i;
  stop = segmentEnd(path, i, end);
  if (segmentIs(path, i, stop, 'v1')) i = skipSlashes(path, stop, end);
  return { zdx, api: i };
}

function lookup(root: TrieNode, path: string, start: number, end: number): string | undefined {
  let node = root;
  let i = start;
  while (i < end) {
    const stop = segmentEnd(path, i, end);
    let next: TrieNode | undefined;
    for (const child of node.statics) {
      if (segmentIs(path, i, stop, child.name)) {
        next = child.node;
        break;
      }
    }
    // A static segment wins over a parameter: ids are never words like `ongoing` or `summary`.
    next ??= node.param;
    if (next === undefined) return undefined;
    node = next;
    i = skipSlashes(path, stop, end);
  }
  return node.template;
}

const PLAIN_WORD = /^[a-z][a-z0-9_-]{0,31}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_8 = /^[0-9a-f]{8,}$/i;
const DIGIT = /\d/;

/**
 * Keeps a segment only when it reads like an API word (lower-case, starts with a letter, at most 32 chars, not
 * hex-like, not a long token with digits). Everything else, including any percent-encoding, `@`, upper case
 * (base64, JWTs) and anything starting with a digit, is `{id}`.
 */
function genericSegment(segment: string): string {
  if (!PLAIN_WORD.test(segment)) return '{id}';
  if (UUID.test(segment) || HEX_8.test(segment)) return '{id}';
  if (segment.length >= 16 && DIGIT.test(segment)) return '{id}';
  return segment;
}

function genericTemplate(path: string, start: number, end: number): string {
  let template = '';
  let count = 0;
  let i = skipSlashes(path, start, end);
  while (i < end) {
    const stop = segmentEnd(path, i, end);
    if (count === MAX_UNKNOWN_SEGMENTS) return `${template}/{...}`;
    template += `/${genericSegment(path.slice(i, stop))}`;
    count++;
    i = skipSlashes(path, stop, end);
  }
  return template === '' ? '/' : template;
}

export interface TemplateRouterOptions {
  readonly extraHosts?: readonly string[];
  readonly maxUnknownTemplates?: number;
}

function validateMaxUnknown(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_UNKNOWN_TEMPLATES;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_UNKNOWN_TEMPLATES_LIMIT) {
    throw new ZdxConfigError(
      'maxUnknownTemplates',
      `expected an integer from 0 to ${MAX_UNKNOWN_TEMPLATES_LIMIT}, got ${JSON.stringify(value) ?? String(value)}`,
    );
  }
  return value;
}

/** Host matching and path templating in one compiled object; build it once at startup. */
export class TemplateRouter {
  readonly #hosts: HostMatcher;
  readonly #root = compileTrie();
  readonly #maxUnknown: number;
  readonly #unknown = new Set<string>();

  constructor(options: TemplateRouterOptions = {}) {
    this.#maxUnknown = validateMaxUnknown(options.maxUnknownTemplates);
    this.#hosts = compileHostMatcher(options.extraHosts);
  }

  /**
   * The route template of a request, or undefined when it is not a ZDX call (leave it alone). `path` may carry
   * a query and fragment; `port` undefined means the default port.
   */
  route(hostname: string, port: number | undefined, path: string): string | undefined {
    // Observers pass through whatever a client library handed them; a missing value must not throw here.
    if (typeof hostname !== 'string' || typeof path !== 'string') return undefined;
    const offset = this.#hosts.match(hostname, port, path);
    return offset < 0 ? undefined : this.templatePath(path, offset);
  }

  /** The template of a path already known to be a ZDX call, starting at `offset` (see `HostMatcher.match`). */
  templatePath(path: string, offset = 0): string {
    const end = pathEnd(path, offset);
    const { zdx, api } = apiStart(path, offset, end);
    const known = lookup(this.#root, path, api, end);
    if (known !== undefined) return known;
    // Unknown paths keep their `/v1` (if any) but not OneAPI's `/zdx`, like the catalog templates.
    const template = genericTemplate(path, zdx, end);
    if (this.#unknown.has(template)) return template;
    if (this.#unknown.size >= this.#maxUnknown) return OVERFLOW_TEMPLATE;
    this.#unknown.add(template);
    return template;
  }

  /** How many distinct unknown-path templates have been made up so far (never more than the cap). */
  get unknownTemplateCount(): number {
    return this.#unknown.size;
  }
}

let sharedRouter: TemplateRouter | undefined;

/**
 * The route template of a URL on a built-in ZDX host, or undefined when it is not a ZDX call or cannot be
 * parsed. Never throws. Unknown paths share one process-wide cap of `DEFAULT_MAX_UNKNOWN_TEMPLATES`.
 * `method` is accepted for symmetry with the catalog, but every catalog template is per path, so a method the
 * catalog does not list for a known path still gets that path's template.
 */
export function templateFor(method: string, url: string | URL): string | undefined {
  void method;
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
    sharedRouter ??= new TemplateRouter();
    const port = parsed.port === '' ? undefined : Number(parsed.port);
    return sharedRouter.route(parsed.hostname, port, parsed.pathname);
  } catch {
    return undefined;
  }
}
