/** One sample line: its name (with any `_bucket`/`_sum`/`_count` suffix), labels and value. */
export type PromSample = { name: string; labels: Record<string, string>; value: number };

/** One metric family: its `# TYPE`, `# HELP` and samples, in the order of the text. */
export type PromFamily = { name: string; type: string; help: string; samples: PromSample[] };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Parses Prometheus text exposition (version 0.0.4) strictly, for tests: the
 * text ends with a newline; every family has one `# HELP` and one `# TYPE`
 * (a known type) before its samples, which are contiguous and named by the
 * family (histograms: `_bucket`, `_sum`, `_count`); names, label names,
 * quoted label values and numbers are well formed; no series appears twice;
 * and in each histogram series the buckets ascend in `le`, their counts never
 * decrease, and `le="+Inf"` is present and equals `_count`, with a `_sum`.
 * Throws an Error naming the line otherwise.
 */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  if (!text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  const families = new Map<string, PromFamily>();
  const seen = new Set<string>();
  let current: PromFamily | undefined;
  const lines = text.slice(0, -1).split('\n');
  for (const [i, line] of lines.entries()) {
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
    };
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) fail('bad metric name');
      let family = families.get(name);
      if (!family) {
        family = { name, type: '', help: '', samples: [] };
        families.set(name, family);
      } else if (family !== current) fail('family declared in two places');
      if (family.samples.length > 0) fail(`# ${kind} after the family's samples`);
      if (kind === 'TYPE') {
        if (family.type !== '') fail('second # TYPE');
        if (!TYPES.has(rest)) fail('unknown type');
        family.type = rest;
      } else {
        if (family.help !== '') fail('second # HELP');
        family.help = rest === '' ? ' ' : rest;
      }
      current = family;
      continue;
    }
    if (line.startsWith('#')) continue; // a comment
    const sample = parseSample(line, fail);
    if (!current || current.type === '' || current.help === '') fail('sample outside a declared family');
    const family = current as PromFamily;
    const suffixes = SUFFIXES[family.type] ?? [''];
    if (!suffixes.some((s) => sample.name === family.name + s)) fail(`sample not of family ${family.name}`);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) fail('duplicate series');
    seen.add(key);
    family.samples.push(sample);
  }
  for (const family of families.values()) {
    if (family.type === '' || family.help === '') throw new Error(`${family.name}: # HELP or # TYPE missing`);
    if (family.type === 'histogram') checkHistogram(family);
  }
  return families;
}

/** The parts of one histogram series (one label set besides `le`). */
type PromHistogram = { buckets: { le: number; count: number }[]; sum: number; count: number };

/** The series of histogram `name` whose labels include `labels`, merged (their counts and sums added), or undefined when none. */
export function histogramOf(
  families: Map<string, PromFamily>,
  name: string,
  labels: Record<string, string> = {},
): { sum: number; count: number; series: number } | undefined {
  const family = families.get(name);
  if (family?.type !== 'histogram') return undefined;
  const matching = family.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  const counts = matching.filter((s) => s.name === `${name}_count`);
  if (counts.length === 0) return undefined;
  return {
    count: counts.reduce((n, s) => n + s.value, 0),
    sum: matching.filter((s) => s.name === `${name}_sum`).reduce((n, s) => n + s.value, 0),
    series: counts.length,
  };
}

/** The value of the sample `name` with exactly `labels`, or undefined. */
export function sampleOf(
  families: Map<string, PromFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k]))
        return s.value;
    }
  }
  return undefined;
}

function parseSample(line: string, fail: (why: string) => never): PromSample {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!head) return fail('bad sample name');
  const name = head[1]!;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.startsWith('}')) {
      const label = /^([^=]*)="((?:[^"\\\n]|\\["\\n])*)"(,?)/.exec(rest);
      if (!label) return fail('bad label');
      const [all, key, raw, comma] = label as unknown as [string, string, string, string];
      if (!LABEL_NAME.test(key)) fail('bad label name');
      if (key in labels) fail('label given twice');
      labels[key] = raw.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(all.length);
      if (comma === '' && !rest.startsWith('}')) fail('labels not separated by commas');
    }
    rest = rest.slice(1);
  }
  const value = /^ (\S+)( -?[0-9]+)?$/.exec(rest);
  if (!value) return fail('bad value part');
  return { name, labels, value: parseValue(value[1]!, fail) };
}

function parseValue(text: string, fail: (why: string) => never): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text)) return fail('bad number');
  return Number(text);
}

/** Checks each series of a histogram family: ascending `le`, cumulative counts, `+Inf` = `_count`, a `_sum`. */
function checkHistogram(family: PromFamily): void {
  const series = new Map<string, PromHistogram>();
  const of = (labels: Record<string, string>) => {
    const { le: _, ...rest } = labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let h = series.get(key);
    if (!h) {
      h = { buckets: [], sum: Number.NaN, count: Number.NaN };
      series.set(key, h);
    }
    return { key, h };
  };
  for (const s of family.samples) {
    const { key, h } = of(s.labels);
    if (s.name.endsWith('_bucket')) {
      if (s.labels.le === undefined) throw new Error(`${family.name} ${key}: bucket without le`);
      h.buckets.push({
        le: parseValue(s.labels.le, (why) => {
          throw new Error(`${family.name}: le: ${why}`);
        }),
        count: s.value,
      });
    } else if (s.name.endsWith('_sum')) h.sum = s.value;
    else h.count = s.value;
  }
  for (const [key, h] of series) {
    const where = `${family.name} ${key}`;
    if (Number.isNaN(h.sum) || Number.isNaN(h.count)) throw new Error(`${where}: _sum or _count missing`);
    for (let i = 1; i < h.buckets.length; i++) {
      if (!(h.buckets[i]!.le > h.buckets[i - 1]!.le)) throw new Error(`${where}: le not ascending`);
      if (h.buckets[i]!.count < h.buckets[i - 1]!.count) throw new Error(`${where}: bucket counts decrease`);
    }
    const inf = h.buckets.at(-1);
    if (inf?.le !== Number.POSITIVE_INFINITY) throw new Error(`${where}: no le="+Inf" bucket last`);
    if (inf.count !== h.count) throw new Error(`${where}: le="+Inf" is ${inf.count}, _count ${h.count}`);
  }
}
