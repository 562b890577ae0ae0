/*
 * `OTEL_PROPAGATORS` is read by the Node SDK itself, which drops a name it does not bundle with a diag warning
 * nobody sees (diag is silent unless OTEL_LOG_LEVEL is set). After the SDK has started, the header fields of
 * the propagator it installed show which of the requested formats it actually built; the rest get one line.
 * Checked this way rather than against a fixed list because the bundle differs by line (the 2.x sdk-node
 * still builds `jaeger`, 3.x does not).
 */

type Env = Readonly<Record<string, string | undefined>>;

/** A header each propagator the SDK can build injects; its presence in `propagation.fields()` proves it is in use. */
const FIELD_OF: Readonly<Record<string, string>> = {
  tracecontext: 'traceparent',
  baggage: 'baggage',
  b3: 'b3',
  b3multi: 'x-b3-traceid',
  jaeger: 'uber-trace-id',
};

/**
 * The one line to print when `OTEL_PROPAGATORS` names formats the started SDK did not build, else undefined.
 * `fields` is `propagation.fields()` after the SDK started.
 */
export function unbundledPropagatorsMessage(fields: readonly string[], env: Env = process.env): string | undefined {
  const raw = env.OTEL_PROPAGATORS?.trim();
  if (raw === undefined || raw === '') return undefined;
  const names = [
    ...new Set(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
  if (names.includes('none')) return undefined;
  const missing = names.filter((name) => FIELD_OF[name] === undefined || !fields.includes(FIELD_OF[name]));
  if (missing.length === 0) return undefined;
  const used = names.filter((name) => !missing.includes(name));
  return (
    `zdx-otel: OTEL_PROPAGATORS=${JSON.stringify(raw)}: ${missing.map((n) => JSON.stringify(n)).join(', ')} ` +
    `${missing.length === 1 ? 'is' : 'are'} not bundled and ignored; accepted: tracecontext, baggage, b3, b3multi, none` +
    ' (comma-separated; jaeger only with the 2.x sdk-node). ' +
    (used.length > 0 ? `Propagating with ${used.join(', ')}.` : 'No context is propagated.')
  );
}
