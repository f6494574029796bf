import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { trainSpamFilter } from '@tributary/example-spam-filter';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Debian's chromium package (installed by .ci/run); never a downloaded browser.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../.reports/screenshots');

describe('the HTML report of the spam filter, in a real headless Chromium', () => {
  let browser: Browser;
  let page: string;
  let dir: string;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spam-report-'));
    // A small run with cross-validation, so the page has every kind of plot.
    const result = await trainSpamFilter({ out: path.join(dir, 'artifact'), limit: 400, folds: 3 });
    await result.model.dispose();
    page = path.join(dir, 'artifact', 'report.html');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // As root in a sandbox with no network: no setuid sandbox, no GPU, and no background fetches.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is written next to the model, loads with no console error and asks the network for nothing', async () => {
    expect(fs.existsSync(page)).toBe(true);
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    tab.on('pageerror', (e) => errors.push(String(e)));
    tab.on('request', (r) => requests.push(r.url()));
    await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(page).href]);

    // Every plot: an SVG with a drawn size, marks in it, and both axis labels rendered with text.
    const charts = await tab.$$eval('svg.chart', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        const text = (selector: string) => {
          // An SVG text element (this package compiles without the DOM library's types).
          const el = svg.querySelector(selector) as unknown as { textContent: string | null; getBBox(): { width: number } } | null;
          return el ? { text: el.textContent?.trim() ?? '', width: el.getBBox().width } : null;
        };
        return {
          name: svg.getAttribute('data-chart'),
          width: box.width,
          height: box.height,
          marks: svg.querySelectorAll('.plot path, .plot rect, .plot circle, .plot line').length,
          x: text('.x-label'),
          y: text('.y-label'),
        };
      }),
    );
    expect(charts.map((c) => c.name)).toEqual(['roc', 'pr', 'confusion', 'stability', 'loss-0', 'metric-1', 'latency-record', 'latency-batch']);
    for (const c of charts) {
      expect(c.width * c.height, `${c.name} has no size`).toBeGreaterThan(0);
      expect(c.marks, `${c.name} draws nothing`).toBeGreaterThan(0);
      expect(c.x?.text, `${c.name} x label`).toBeTruthy();
      expect(c.y?.text, `${c.name} y label`).toBeTruthy();
      expect(c.x!.width * c.y!.width, `${c.name} labels not drawn`).toBeGreaterThan(0);
    }
    // The per-class figures come before any overall figure.
    const order = await tab.$$eval('section', (sections) => sections.map((s) => s.id));
    expect(order.indexOf('classes')).toBeLessThan(order.indexOf('overall'));

    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const shot = path.join(SCREENSHOTS, 'spam-filter-report.png');
    await tab.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(50_000);
    await tab.close();
  });
});
