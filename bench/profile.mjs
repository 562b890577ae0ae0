// Plain-text summary of a V8 .cpuprofile: self time per area (zdx-otel, each @opentelemetry package, Node
// internals, GC, ...), time spent anywhere under zdx-otel's own frames (inclusive: what zdx-otel costs,
// including the SDK calls it makes), and the top functions by self time.

/** The area a script URL belongs to. */
function areaOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const otel = /node_modules\/(@opentelemetry\/[^/]+)\//.exec(url);
  if (otel) return otel[1];
  if (/\/dist\/(esm|cjs)\//.test(url)) return 'zdx-otel';
  if (/\/bench\/|bench-otel2\/worker/.test(url)) return 'bench harness';
  if (url.startsWith('node:internal/deps/undici')) return 'undici (bundled, fetch)';
  if (url.startsWith('wasm://')) return "wasm (undici's llhttp parser)";
  if (url.startsWith('node:'))
    return `node:${
      url
        .slice(5)
        .replace(/^internal\//, '')
        .split('/')[0]
    }`;
  const other = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return other ? other[1] : 'other';
}

/** A URL without the machine's directories: from node_modules/, dist/ or bench/ on. */
function shortUrl(url) {
  if (url.includes('node_modules/')) return url.replace(/^.*node_modules\//, '');
  return url.replace(/^file:\/\/.*\/(dist|bench)\//, '$1/');
}

export function summarizeProfile(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  let total = 0;
  const inclusive = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    self.set(id, (self.get(id) ?? 0) + dt);
    // Each area once per sample, however deep it recurs.
    const areas = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at).callFrame;
      if (frame.url) areas.add(areaOf(frame.url, frame.functionName));
    }
    for (const area of areas) inclusive.set(area, (inclusive.get(area) ?? 0) + dt);
  }
  const areaSelf = new Map();
  const functions = new Map();
  for (const [id, time] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const area = areaOf(url, functionName);
    areaSelf.set(area, (areaSelf.get(area) ?? 0) + time);
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`;
    functions.set(key, (functions.get(key) ?? 0) + time);
  }
  const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  const out = [`CPU profile: ${(total / 1e6).toFixed(2)} s sampled`, '', 'self time by area:'];
  for (const [area, t] of sorted(areaSelf)) if (t / total >= 0.002) out.push(`  ${pct(t)}  ${area}`);
  out.push('', 'time with the area anywhere on the stack (inclusive; areas overlap):');
  for (const [area, t] of sorted(inclusive))
    if (t / total >= 0.005 && area !== 'bench harness') out.push(`  ${pct(t)}  ${area}`);
  out.push('', `top ${top} functions by self time:`);
  for (const [fn, t] of sorted(functions).slice(0, top)) out.push(`  ${pct(t)}  ${fn}`);
  return out.join('\n');
}
