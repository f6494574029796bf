import type { TSchema } from '@sinclair/typebox';
import { Dataset } from '../dataset/dataset.js';
import { TributaryError } from '../errors/tributary-error.js';
import type { DataRecord } from '../record/record.js';
import { schemaMismatch } from './schema-check.js';
import { type OnSourceProblem, sourceProblem } from './text-sources.js';

/** How to find the next page: the `Link: <…>; rel="next"` header, a field holding the next URL, or a cursor sent back as a query parameter. */
export type NextPage = { readonly link: true } | { readonly field: string } | { readonly cursor: string; readonly param: string } | 'none';

export interface HttpJsonOptions {
  /** Where the records are in each page's JSON, as a dotted path (`data`, `results.items`); default: the page itself, an array. */
  readonly items?: string;
  /** Default: the Link header (and no further page without one). */
  readonly next?: NextPage;
  readonly headers?: Readonly<Record<string, string>>;
  /** Per request, including reading the body; default 30 s. A timed-out request is retried. */
  readonly timeoutMs?: number;
  /** Tries after the first for a request that fails with 429, 5xx, a timeout or a network error; default 5. */
  readonly retries?: number;
  /** The first back-off, doubled on each retry (with up to 50% added at random), capped at 30 s; default 500 ms. `Retry-After` overrides it. */
  readonly backoffMs?: number;
  /** Stops after this many pages (a guard against a server that always links to a next page); default 100,000. */
  readonly maxPages?: number;
  /** The record each item must be (a TypeBox schema); an item that does not match is a problem (INVALID_RECORD) naming the field. */
  readonly schema?: TSchema;
  /** Go on past items that are not objects (or do not match the schema), handing each to this function. */
  readonly onProblem?: OnSourceProblem;
  /** The longest wait a `Retry-After` may ask for; a server that asks more is given up on (SOURCE_UNREADABLE), not waited on. Default 5 minutes. */
  readonly maxRetryAfterMs?: number;
  /** Called before each wait for a retry: why, and for how long. */
  readonly onRetry?: (event: { readonly url: string; readonly attempt: number; readonly reason: string; readonly waitMs: number }) => void;
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/** A dotted path into a JSON value. */
function at(value: unknown, dotted: string): unknown {
  let current = value;
  for (const key of dotted.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The `rel="next"` target of a Link header (RFC 8288: `<url>; rel="next"`, several links separated by commas, which may also sit inside a URL), made absolute against the page's URL. */
export function linkNext(header: string | null, base: string): string | undefined {
  if (!header) return undefined;
  // Each link is `<…>` followed by its parameters up to the next `<` (or the end).
  for (const match of header.matchAll(/<([^>]*)>([^<]*)/g)) {
    const params = match[2]!;
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) return new URL(match[1]!, base).toString();
  }
  return undefined;
}

/** Milliseconds a `Retry-After` header asks for (seconds, or an HTTP date), or undefined. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // A number that is not a whole count of seconds (-5, 1.5) is malformed; Date.parse would read it as a year.
  if (/^[-+]?[\d.]+$/.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One page: fetched with a timeout and retried on 429, 5xx, timeouts and network errors, honouring Retry-After. */
async function fetchPage(url: string, options: HttpJsonOptions): Promise<{ body: unknown; headers: Headers }> {
  const retries = options.retries ?? 5;
  const base = options.backoffMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    let reason: string;
    let asked: number | undefined;
    try {
      const response = await fetch(url, { headers: { accept: 'application/json', ...options.headers }, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
      if (response.status === 204) return { body: [], headers: response.headers };
      if (response.ok) {
        const text = await response.text();
        try {
          return { body: JSON.parse(text), headers: response.headers };
        } catch (error) {
          throw new TributaryError('INVALID_DATA', { message: `${url} answered ${response.status} with a body that is not JSON (${(error as Error).message}): ${JSON.stringify(text.slice(0, 120))}.`, cause: error, details: { url } });
        }
      }
      const excerpt = (await response.text().catch(() => '')).slice(0, 200);
      if (!RETRYABLE.has(response.status)) {
        throw new TributaryError('SOURCE_UNREADABLE', {
          message: `${url} answered ${response.status} ${response.statusText}${excerpt ? `: ${excerpt}` : ''}. ${response.status === 401 || response.status === 403 ? 'Check the credentials in headers.' : 'Check the URL and its parameters.'}`,
          details: { url, status: response.status },
        });
      }
      reason = `HTTP ${response.status}`;
      asked = retryAfterMs(response.headers.get('retry-after'));
    } catch (error) {
      if (error instanceof TributaryError) throw error;
      const name = (error as Error).name;
      reason = name === 'TimeoutError' ? `no answer within ${options.timeoutMs ?? 30_000} ms` : `${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`;
    }
    if (attempt >= retries) {
      throw new TributaryError('SOURCE_UNREADABLE', { message: `${url} failed ${attempt + 1} times (last: ${reason}); gave up. Try again later, or raise retries.`, details: { url, attempts: attempt + 1 } });
    }
    const cap = options.maxRetryAfterMs ?? 300_000;
    if (asked !== undefined && asked > cap) {
      throw new TributaryError('SOURCE_UNREADABLE', { message: `${url} answered ${reason} and asks to wait ${Math.round(asked / 1000)} s (Retry-After), longer than maxRetryAfterMs (${Math.round(cap / 1000)} s); gave up. Try again later, or raise maxRetryAfterMs.`, details: { url, retryAfterMs: asked } });
    }
    const backoff = Math.min(30_000, base * 2 ** attempt) * (1 + Math.random() * 0.5);
    const waitMs = Math.round(asked ?? backoff);
    options.onRetry?.({ url, attempt: attempt + 1, reason, waitMs });
    await sleep(waitMs);
  }
}

/**
 * Records from a JSON HTTP API, a page at a time: follows the next page by the Link header, a field
 * holding the next URL, or a cursor; retries 429, 5xx, timeouts and dropped connections with
 * exponential back-off and jitter, waiting what `Retry-After` asks; gives up with SOURCE_UNREADABLE
 * after `retries`. Each page is one chunk of the Dataset, and every pass starts again at `url`.
 *
 * @example
 * httpJson('https://api.example.com/v1/readings?limit=500', { items: 'data', next: { cursor: 'meta.next', param: 'after' } })
 */
export function httpJson(url: string, options: HttpJsonOptions = {}): Dataset<DataRecord> {
  try {
    new URL(url);
  } catch {
    throw new TributaryError('INVALID_PARAMS', { param: 'url', message: `httpJson needs an absolute URL (https://…), got ${JSON.stringify(url)}.` });
  }
  const next = options.next ?? { link: true };
  const maxPages = options.maxPages ?? 100_000;
  return Dataset.fromChunks(async function* () {
    let page: string | undefined = url;
    // A next page already read (a link to itself, a cursor that repeats) would loop: it is an error, not a reread.
    const visited = new Set<string>();
    for (let n = 1; page !== undefined; n++) {
      if (visited.has(page)) throw new TributaryError('SOURCE_UNREADABLE', { message: `${url}: page ${n - 1} points to ${page} as its next page, which was already read; the API's paging loops. Check the next (or cursor) setting.`, details: { url, page } });
      visited.add(page);
      if (n > maxPages) throw new TributaryError('SOURCE_UNREADABLE', { message: `${url}: more than ${maxPages} pages; stopped. Raise maxPages if the API really has that many.`, details: { url } });
      const { body, headers } = await fetchPage(page, options);
      const items = options.items ? at(body, options.items) : body;
      if (!Array.isArray(items)) {
        throw new TributaryError('INVALID_DATA', { message: `${page}: ${options.items ? `'${options.items}'` : 'the page'} is not an array of records${options.items ? '' : "; name where the records are with items (e.g. items: 'data')"}.`, details: { url: page } });
      }
      const records: DataRecord[] = [];
      for (const [i, item] of items.entries()) {
        if (typeof item !== 'object' || item === null || Array.isArray(item)) {
          sourceProblem({ code: 'INVALID_DATA', source: page, id: `${n}:${i}`, message: `${page}: item ${i} of page ${n} is ${JSON.stringify(item)}, not an object.` }, options.onProblem);
          continue;
        }
        const mismatch = options.schema && schemaMismatch(options.schema, item as DataRecord);
        if (mismatch) sourceProblem({ code: 'INVALID_RECORD', source: page, id: `${n}:${i}`, message: `${page}: item ${i} of page ${n}: ${mismatch}.`, raw: JSON.stringify(item).slice(0, 200) }, options.onProblem);
        else records.push(item as DataRecord);
      }
      yield records;
      const current: string = page;
      if (next === 'none') page = undefined;
      else if ('link' in next) page = linkNext(headers.get('link'), current);
      else if ('field' in next) {
        const target = at(body, next.field);
        page = typeof target === 'string' && target !== '' ? new URL(target, current).toString() : undefined;
      } else {
        const cursor = at(body, next.cursor);
        // Only the cursor ends the paging: a page whose items were all left out (or an empty page) may still have a next one.
        if (cursor === undefined || cursor === null || cursor === '') page = undefined;
        else {
          const u = new URL(url);
          u.searchParams.set(next.param, String(cursor));
          page = u.toString();
        }
      }
    }
  });
}
