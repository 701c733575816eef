/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: prom-client
 * writes the format but does not read it. Every sample must belong to a family declared by `# TYPE`
 * (histograms by their _bucket, _sum and _count series), names and labels must be well formed, values
 * numbers, a series appear once, and a histogram's buckets be cumulative and end with le="+Inf" equal
 * to its _count. Anything else throws, naming the line.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<Family['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  text.split('\n').forEach((line, index) => {
    const where = `line ${index + 1} (${JSON.stringify(line)})`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) return comment(line, families, where);
    const sample = parseSample(line, where);
    const family = familyOf(sample.name, families);
    if (!family) throw new Error(`${where}: sample of no declared family`);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: series repeated`);
    seen.add(key);
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function comment(line: string, families: Map<string, Family>, where: string): void {
  const match = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
  if (!match) return; // a plain comment
  const [, keyword, name, rest = ''] = match;
  if (!METRIC_NAME.test(name!)) throw new Error(`${where}: bad metric name`);
  const family = families.get(name!) ?? { name: name!, type: 'untyped', help: '', samples: [] };
  if (keyword === 'TYPE') {
    if (!TYPES.has(rest)) throw new Error(`${where}: unknown type`);
    if (family.samples.length > 0) throw new Error(`${where}: TYPE after samples`);
    family.type = rest as Family['type'];
  } else family.help = rest;
  families.set(name!, family);
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  for (const family of families.values())
    for (const suffix of SUFFIXES[family.type]) if (sampleName === `${family.name}${suffix}`) return family;
  return undefined;
}

function parseSample(line: string, where: string): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)(?: (-?\d+))?$/.exec(line);
  if (!match) throw new Error(`${where}: not a sample`);
  const value = parseValue(match[3]!, where);
  return { name: match[1]!, labels: match[2] ? parseLabels(match[2], where) : {}, value };
}

function parseValue(text: string, where: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value ${text}`);
  return Number(text);
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text.slice(1, -1);
  while (rest.length > 0) {
    const match = /^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
    if (!match || !LABEL_NAME.test(match[1]!)) throw new Error(`${where}: bad labels at ${JSON.stringify(rest)}`);
    if (match[1]! in labels) throw new Error(`${where}: label ${match[1]} repeated`);
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(match[0].length);
  }
  return labels;
}

function checkHistogram(family: Family): void {
  const series = new Map<string, Sample[]>();
  for (const sample of family.samples) {
    const { le: _le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    series.set(key, [...(series.get(key) ?? []), sample]);
  }
  for (const samples of series.values()) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    const count = samples.find((s) => s.name === `${family.name}_count`);
    if (!count || !samples.some((s) => s.name === `${family.name}_sum`)) throw new Error(`${family.name}: a series without _sum or _count`);
    let previous = { le: -Infinity, value: 0 };
    for (const bucket of buckets) {
      const le = parseValue(bucket.labels.le ?? '', `${family.name} bucket`);
      if (le <= previous.le || bucket.value < previous.value) throw new Error(`${family.name}: buckets not cumulative`);
      previous = { le, value: bucket.value };
    }
    if (previous.le !== Infinity || previous.value !== count.value) throw new Error(`${family.name}: +Inf bucket missing or not the count`);
  }
}

/** The value of one series (labels matched exactly), 0 when absent: counters start at nothing. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  for (const family of families.values())
    for (const sample of family.samples)
      if (sample.name === name && JSON.stringify(Object.entries(sample.labels).sort()) === wanted) return sample.value;
  return 0;
}
