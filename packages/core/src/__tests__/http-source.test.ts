import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Type, httpJson, isTributaryError, jsonLines, retryAfterMs } from '@tributary/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A paginating API on a real socket: /link pages by Link header, /cursor by a cursor in the body, /next by a next-URL field. */
let server: http.Server;
let base: string;
const hits = new Map<string, number>();
const hit = (key: string) => {
  const n = (hits.get(key) ?? 0) + 1;
  hits.set(key, n);
  return n;
};
const items = (page: number) => [1, 2, 3].map((k) => ({ id: (page - 1) * 3 + k }));

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const page = Number(url.searchParams.get('page') ?? 1);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/link') {
      const n = hit(`link:${page}`);
      // Page 2 is rate-limited once (429, Retry-After: 1); page 3 fails once with 503.
      if (page === 2 && n === 1) return json(429, { error: 'slow down' }, { 'retry-after': '1' });
      if (page === 3 && n === 1) return json(503, { error: 'busy' });
      return json(200, items(page), page < 3 ? { link: `</link?page=${page + 1}>; rel="next", </link?page=1>; rel="first"` } : {});
    }
    if (url.pathname === '/cursor') {
      const cursor = url.searchParams.get('after');
      const pageOf = cursor === null ? 1 : Number(cursor.slice(1));
      return json(200, { data: items(pageOf), meta: { next: pageOf < 2 ? `c${pageOf + 1}` : null } });
    }
    if (url.pathname === '/next') return json(200, { results: items(page), next: page < 2 ? `/next?page=${page + 1}` : null });
    if (url.pathname === '/slow') {
      // The first request never answers in time; the second does.
      if (hit('slow') === 1) return void setTimeout(() => json(200, []), 2000);
      return json(200, [{ id: 'late' }]);
    }
    if (url.pathname === '/sparse') {
      // Cursor paging where page 2 is empty and page 3's only item fails a schema: pages 4 and 5 must still be read.
      const at = Number(url.searchParams.get('after') ?? 1);
      const data = at === 2 ? [] : at === 3 ? [{ id: 'bad' }] : [{ id: at }];
      return json(200, { data, meta: { next: at < 5 ? at + 1 : null } });
    }
    if (url.pathname === '/comma') {
      const page = Number(url.searchParams.get('page') ?? 1);
      return json(200, [{ id: page }], page < 3 ? { link: `</comma?ids=1,2&page=${page + 1}>; rel="next"` } : {});
    }
    if (url.pathname === '/loop') return json(200, [{ id: 1 }], { link: '</loop>; rel="next"' });
    if (url.pathname === '/wait-long') return json(429, {}, { 'retry-after': '100000' });
    if (url.pathname === '/nothing') {
      res.writeHead(204);
      return void res.end();
    }
    if (url.pathname === '/down') return json(500, { error: 'down' });
    if (url.pathname === '/mixed') return json(200, [{ id: 1 }, 7, { id: 2 }]);
    return json(404, { error: 'no such route' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('httpJson: a paginated JSON API', () => {
  it('follows Link headers, waits out a 429 for its Retry-After, and retries a 503, losing and repeating nothing', async () => {
    const retries: Array<{ reason: string; waitMs: number }> = [];
    const started = performance.now();
    const records = await httpJson(`${base}/link?page=1`, { backoffMs: 10, onRetry: (e) => retries.push({ reason: e.reason, waitMs: e.waitMs }) }).collect();
    expect(records.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(retries.map((r) => r.reason)).toEqual(['HTTP 429', 'HTTP 503']);
    expect(retries[0]!.waitMs).toBe(1000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect([hits.get('link:1'), hits.get('link:2'), hits.get('link:3')]).toEqual([1, 2, 2]);
  });

  it('pages by a cursor in the body, and by a next-URL field', async () => {
    expect((await httpJson(`${base}/cursor`, { items: 'data', next: { cursor: 'meta.next', param: 'after' } }).collect()).map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await httpJson(`${base}/next?page=1`, { items: 'results', next: { field: 'next' } }).collect()).map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('retries a request that times out', async () => {
    const reasons: string[] = [];
    expect(await httpJson(`${base}/slow`, { timeoutMs: 200, backoffMs: 10, onRetry: (e) => reasons.push(e.reason) }).collect()).toEqual([{ id: 'late' }]);
    expect(reasons).toEqual(['no answer within 200 ms']);
  });

  it('gives up clearly: at once on a 404, after its retries on a server that keeps failing', async () => {
    const notFound = await httpJson(`${base}/missing`).collect().then(() => undefined, (e: unknown) => e);
    expect(isTributaryError(notFound, 'SOURCE_UNREADABLE')).toBe(true);
    expect((notFound as Error).message).toMatch(/answered 404/);
    const down = await httpJson(`${base}/down`, { retries: 2, backoffMs: 5 }).collect().then(() => undefined, (e: unknown) => e);
    expect(isTributaryError(down, 'SOURCE_UNREADABLE')).toBe(true);
    expect((down as Error).message).toMatch(/failed 3 times \(last: HTTP 500\)/);
  });

  it('an item that is not an object is a problem, handed on or raised', async () => {
    const problems: string[] = [];
    expect(await httpJson(`${base}/mixed`, { onProblem: (p) => problems.push(p.message) }).collect()).toEqual([{ id: 1 }, { id: 2 }]);
    expect(problems).toHaveLength(1);
    await expect(httpJson(`${base}/mixed`).collect()).rejects.toThrow(/item 1 of page 1 is 7, not an object/);
    const typed = await httpJson(`${base}/cursor`, { items: 'data', next: 'none', schema: Type.Object({ id: Type.String() }) }).collect().then(() => undefined, (e: unknown) => e);
    expect(isTributaryError(typed, 'INVALID_RECORD')).toBe(true);
    expect((typed as Error).message).toMatch(/item 0 of page 1: 'id': Expected string \(got 1\)/);
  });

  it('keeps paging past an empty page and a page whose items all fail the schema; a comma inside a Link URL is part of it', async () => {
    const problems: string[] = [];
    const rows = await httpJson(`${base}/sparse`, { items: 'data', next: { cursor: 'meta.next', param: 'after' }, schema: Type.Object({ id: Type.Number() }), onProblem: (p) => problems.push(p.code) }).collect();
    expect(rows.map((r) => r.id)).toEqual([1, 4, 5]);
    expect(problems).toEqual(['INVALID_RECORD']);
    expect((await httpJson(`${base}/comma?page=1`).collect()).map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it('stops with a clear error on paging that loops and on a Retry-After too long to wait; 204 is an empty page', async () => {
    const loop = await httpJson(`${base}/loop`).collect().then(() => undefined, (e: unknown) => e);
    expect(isTributaryError(loop, 'SOURCE_UNREADABLE')).toBe(true);
    expect((loop as Error).message).toMatch(/already read; the API's paging loops/);
    const started = performance.now();
    const wait = await httpJson(`${base}/wait-long`).collect().then(() => undefined, (e: unknown) => e);
    expect((wait as Error).message).toMatch(/asks to wait 100000 s \(Retry-After\), longer than maxRetryAfterMs/);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await httpJson(`${base}/nothing`).collect()).toEqual([]);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('1.5')).toBeUndefined();
    expect(retryAfterMs('-5')).toBeUndefined();
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:10 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});

describe('a stream as a source', () => {
  it('reads JSON Lines from a TCP socket, a line split across packets included', async () => {
    const feed = net.createServer((socket) => {
      socket.write('{"sensor":"a","v":1}\n{"sensor":"b",');
      setTimeout(() => socket.end('"v":2}\n{"sensor":"c","v":3}\n'), 20);
    });
    await new Promise<void>((resolve) => feed.listen(0, '127.0.0.1', resolve));
    const port = (feed.address() as AddressInfo).port;
    try {
      const records = await jsonLines({ name: 'sensor feed', open: () => net.connect(port, '127.0.0.1') }).collect();
      expect(records).toEqual([{ sensor: 'a', v: 1 }, { sensor: 'b', v: 2 }, { sensor: 'c', v: 3 }]);
    } finally {
      feed.close();
    }
  });
});
