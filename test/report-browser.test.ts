import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeIo, run } from '@keraspect/cli';
import { EXAMPLES_DIR } from '../packages/cli/src/commands/demo.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
if (!haveChromium && !inCi)
  console.warn(
    `[skip] report browser test: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH).`,
  );

// In CI a missing Chromium fails this test (.ci/install-extras installs it) instead of skipping it.
describe.skipIf(!haveChromium && !inCi)('the HTML report in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keraspect-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads offline with no console errors, every image decoded, and the summary table', async () => {
    if (!haveChromium)
      throw new Error(`CI needs Chromium at ${CHROMIUM}: .ci/install-extras installs it (apt-get install chromium).`);
    const io = { ...nodeIo, stdout: () => {}, isTTY: false };
    const code = await run(
      [
        'report',
        join(EXAMPLES_DIR, 'attention-lstm.h5'),
        '--input',
        join(EXAMPLES_DIR, 'series.npy'),
        '--out',
        dir,
        '--quiet',
      ],
      io,
    );
    expect(code).toBe(0);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(String(e)));
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(join(dir, 'index.html')).href, { waitUntil: 'load' });
      await page.evaluate(async () => {
        for (const img of Array.from(document.images)) {
          img.loading = 'eager';
          if (!img.complete)
            await new Promise(
              (r) =>
                img.addEventListener('load', r, { once: true }) ?? img.addEventListener('error', r, { once: true }),
            );
        }
      });
      const images = await page.evaluate(() =>
        Array.from(document.images, (i) => ({ src: i.getAttribute('src'), w: i.naturalWidth, h: i.naturalHeight })),
      );
      expect(images.length).toBeGreaterThanOrEqual(8);
      for (const i of images) expect(i.w * i.h, `${i.src} decoded`).toBeGreaterThan(0);
      expect(await page.locator('table.summary tbody tr').count()).toBe(6);
      expect(await page.locator('table.summary').innerText()).toMatch(/attention\s+\(SeqSelfAttention\)/);
      expect(errors).toEqual([]);
      expect(requests.every((u) => u.startsWith('file:'))).toBe(true);
      await page.setViewportSize({ width: 1200, height: 900 });
      await page
        .screenshot({ path: join(process.cwd(), 'test/output/report-screenshot.png'), fullPage: false })
        .catch(() => {});
    } finally {
      await browser.close();
    }
  });
});
