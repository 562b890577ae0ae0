/*
 * Turns the path of a ZDX call into a low-cardinality route template (`url.template`). The endpoint catalog is
 * compiled once into a segment trie that is walked by index, so a known path costs no allocation beyond the
 * returned (shared) template string. Paths the catalog does not know get a generic template that keeps only
 * words from a fixed API vocabulary and makes everything else `{id}`; the number of such templates is capped.
 */
import { ZDX_ENDPOINTS } from '../catalog/endpoints.js';
import { PATH_WORDS } from '../catalog/words.js';
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

interface StaticChild {
  readonly name: string;
  readonly node: TrieNode;
}

interface TrieNode {
  /** Static children, compared in place (length, then characters) so no substring is made per segment. */
  readonly statics: StaticChild[];
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

/*
 * Measured on Node 24 (a deep known path, the hot path of every ZDX call): indexOf is the cheapest way to find
 * a boundary, `startsWith(name, i)` is not (it checks its argument for a RegExp on every call), and charCodeAt
 * loops pay per character on the cons strings clients build paths from. So boundaries come from indexOf, a
 * static segment is compared with `indexOf(name, i) === i` after its length matched, and single characters
 * (slashes, `v1`) are read with charCodeAt.
 */

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

/** Whether the segment `[start, stop)` is `name`. */
function segmentIs(path: string, start: number, stop: number, name: string): boolean {
  return stop - start === name.length && path.indexOf(name, start) === start;
}

/** Skips a `/v1` segment (and the slashes after it) at `i`, if there is one. */
function skipV1(path: string, i: number, end: number): number {
  if (end - i < 2 || path.charCodeAt(i) !== 0x76 /* v */ || path.charCodeAt(i + 1) !== 0x31 /* 1 */) return i;
  return i + 2 === end || path.charCodeAt(i + 2) === SLASH ? skipSlashes(path, i + 2, end) : i;
}

/** Skips a `/zdx` segment (OneAPI) at `i`, if there is one. */
function skipZdx(path: string, i: number, end: number): number {
  if (end - i < 3 || path.charCodeAt(i) !== 0x7a /* z */) return i;
  if (path.charCodeAt(i + 1) !== 0x64 /* d */ || path.charCodeAt(i + 2) !== 0x78 /* x */) return i;
  return i + 3 === end || path.charCodeAt(i + 3) === SLASH ? skipSlashes(path, i + 3, end) : i;
}

function lookup(root: TrieNode, path: string, start: number, end: number): string | undefined {
  let node = root;
  let i = start;
  while (i < end) {
    const stop = segmentEnd(path, i, end);
    let next: TrieNode | undefined;
    const statics = node.statics;
    for (let k = 0; k < statics.length; k++) {
      const child = statics[k]!;
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

/** Every segment an unknown-path template may keep as it is (see catalog/words.ts); anything else is `{id}`. */
export const UNKNOWN_PATH_WORDS: ReadonlySet<string> = PATH_WORDS;

/**
 * A segment of an unknown path is kept only when it is, exactly, a word of `UNKNOWN_PATH_WORDS`. Ids, numbers,
 * emails, tokens, encoded text and every other word (a user name like `jsmith` cannot be told from a new API
 * word) become `{id}`, so no user data can reach a label or a span name.
 */
function genericSegment(segment: string): string {
  return UNKNOWN_PATH_WORDS.has(segment) ? segment : '{id}';
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

  /** False when no request to `hostname` is a ZDX call (see `HostMatcher.mayMatch`): `route` would say undefined. */
  mayRoute(hostname: string): boolean {
    return typeof hostname === 'string' && this.#hosts.mayMatch(hostname);
  }

  /** The template of a path already known to be a ZDX call, starting at `offset` (see `HostMatcher.match`). */
  templatePath(path: string, offset = 0): string {
    const end = pathEnd(path, offset);
    // The API path proper starts after an optional `/zdx` (OneAPI) and an optional `/v1`.
    const zdx = skipZdx(path, skipSlashes(path, offset, end), end);
    const known = lookup(this.#root, path, skipV1(path, zdx, end), end);
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
