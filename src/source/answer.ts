// Pure decoding of one Prometheus HTTP API answer (no I/O): instant vectors, scalars, and
// the error shapes of Prometheus and the backends beside it.
import { PollError } from './errors.js';

/** One series of an instant-vector answer; `value` may be NaN or ±Inf as Prometheus sends them. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** A parsed successful answer to one instant query. */
export interface VectorAnswer {
  samples: Sample[];
  /** Warnings the backend attached (Prometheus `warnings`, e.g. partial results). */
  warnings: string[];
  /**
   * The instant the server evaluated the query at (ms since epoch, its clock), from the
   * samples' timestamps; null for an empty answer, which carries no time.
   */
  evaluatedAt: number | null;
}

const MAX_MESSAGE = 200;

/** Collapses whitespace and truncates a backend's text for a one-line message. */
export function oneLine(text: string, max = MAX_MESSAGE): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Message for a non-2xx answer: Prometheus' `errorType: error` JSON, else the (plain-text or HTML) body. */
export function httpErrorMessage(status: number, contentType: string, body: string): string {
  let detail = '';
  try {
    const j = JSON.parse(body) as { errorType?: unknown; error?: unknown; message?: unknown };
    if (j && typeof j === 'object') {
      const type = typeof j.errorType === 'string' && j.errorType ? `${j.errorType}: ` : '';
      const msg = typeof j.error === 'string' ? j.error : typeof j.message === 'string' ? j.message : '';
      if (type || msg) detail = `${type}${msg}`;
    }
  } catch {
    // not JSON: plain text such as Mimir's "no org id", or an HTML error page
  }
  if (!detail) detail = /html/i.test(contentType) ? body.replace(/<[^>]*>/g, ' ') : body;
  detail = oneLine(detail);
  return detail ? `HTTP ${status}: ${detail}` : `HTTP ${status} (empty body)`;
}

/**
 * Parses one `/api/v1/query` answer into samples (pure; throws PollError). Non-2xx →
 * `http`; non-JSON or malformed JSON or an unexpected shape → `invalid_response`;
 * `status: "error"` in a 2xx answer → `prometheus`. Extra fields (VictoriaMetrics'
 * `isPartial`, Thanos' `warnings`) are tolerated.
 */
export function parseVectorResponse(res: { status: number; contentType: string; body: string }, what: string): VectorAnswer {
  const { status, contentType, body } = res;
  if (status < 200 || status > 299) throw new PollError('http', `${what}: ${httpErrorMessage(status, contentType, body)}`);
  const trimmed = body.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    const ct = contentType ? ` (${contentType.split(';')[0]})` : '';
    throw new PollError('invalid_response', `${what}: not JSON${ct}: ${oneLine(body, 80) || '(empty body)'}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    throw new PollError('invalid_response', `${what}: malformed JSON: ${oneLine((e as Error).message, 120)}`);
  }
  const bad = (why: string) => new PollError('invalid_response', `${what}: unexpected answer: ${why}`);
  if (!isObject(json)) throw bad('not a JSON object');
  const warnings = Array.isArray(json.warnings) ? json.warnings.filter((w): w is string => typeof w === 'string') : [];
  if (json.status === 'error') {
    const type = typeof json.errorType === 'string' ? `${json.errorType}: ` : '';
    throw new PollError('prometheus', `${what}: ${oneLine(`${type}${typeof json.error === 'string' ? json.error : 'error'}`)}`);
  }
  if (json.status !== 'success') throw bad(`status is ${JSON.stringify(json.status)}`);
  const data = json.data;
  if (!isObject(data)) throw bad('no data');
  if (data.resultType !== 'vector') throw bad(`resultType is ${JSON.stringify(data.resultType)}, expected "vector"`);
  if (!Array.isArray(data.result)) throw bad('data.result is not a list');
  const samples: Sample[] = new Array(data.result.length);
  let evaluatedAt: number | null = null;
  for (let i = 0; i < data.result.length; i++) {
    const r: unknown = data.result[i];
    if (!isObject(r) || !isObject(r.metric)) throw bad(`series ${i} has no metric labels`);
    const v = r.value;
    if (!Array.isArray(v) || v.length !== 2 || typeof v[1] !== 'string') throw bad(`series ${i} has no [time, "value"] pair`);
    if (typeof v[0] !== 'number' || !Number.isFinite(v[0])) throw bad(`series ${i} has no numeric time`);
    // Every sample of an instant vector carries the evaluation time; keep the latest anyway.
    if (evaluatedAt === null || v[0] * 1000 > evaluatedAt) evaluatedAt = v[0] * 1000;
    for (const k in r.metric) if (typeof r.metric[k] !== 'string') throw bad(`series ${i} label ${k} is not a string`);
    samples[i] = { metric: r.metric as Record<string, string>, value: promNumber(v[1]) };
  }
  return { samples, warnings, evaluatedAt };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses the answer to a user query: a scalar becomes one label-less sample, anything else
 * goes to `parseVector` (which rejects strings and matrices with a message).
 */
export function parseNumberAnswer<R extends { status: number; body: string }>(
  res: R,
  what: string,
  parseVector: (res: R, what: string) => VectorAnswer,
): VectorAnswer {
  if (res.status >= 200 && res.status <= 299) {
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      return parseVector(res, what);
    }
    const data = (json as { status?: unknown; data?: { resultType?: unknown; result?: unknown } } | null)?.data;
    if ((json as { status?: unknown }).status === 'success' && data?.resultType === 'scalar') {
      const r = data.result;
      if (!Array.isArray(r) || r.length !== 2 || typeof r[1] !== 'string') {
        throw new PollError('invalid_response', `${what}: unexpected answer: scalar has no [time, "value"] pair`);
      }
      const warnings = (json as { warnings?: unknown }).warnings;
      const evaluatedAt = typeof r[0] === 'number' && Number.isFinite(r[0]) ? r[0] * 1000 : null;
      return {
        samples: [{ metric: {}, value: promNumber(r[1]) }],
        warnings: Array.isArray(warnings) ? warnings.filter((w) => typeof w === 'string') : [],
        evaluatedAt,
      };
    }
  }
  return parseVector(res, what);
}

/** A number as Prometheus writes it: "NaN", "+Inf", "-Inf" (Number() reads the first two only), or decimal. */
export function promNumber(text: string): number {
  return text === '+Inf' || text === 'Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
}
