/**
 * The HTML report: fast checks on the generated text (self-contained,
 * escaped, bounded) and, in a real browser (Debian's chromium driven by
 * playwright-core, offline), checks of the page drawn from the real
 * stale-size-race fixtures and from a hand-made model of the same shape.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyze } from '../../src/analysis/analyze.js';
import { CLIENT_JS } from '../../src/report/html/client.js';
import { assignLanes, buildPageData, DEFAULT_HTML_LIMITS, embedJson, escapeHtml, renderHtml, type PageData } from '../../src/report/html.js';
import { makeHugeModel, makeRaceModel } from './fixture-model.js';
import { openedFile } from '../analysis/capture-builder.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const FIXTURE_A = join(ROOT, 'fixtures/stale-size-race-A.pcapng');
const FIXTURE_B = join(ROOT, 'fixtures/stale-size-race-B.pcapng');
const GiB = 1024 ** 3;
const RACE64 = [join(ROOT, 'fixtures/stale-size-race64-1-A.pcapng'), join(ROOT, 'fixtures/stale-size-race64-1-B.pcapng')];

function pageData(html: string): PageData {
  const m = /<script type="application\/json" id="fusetrace-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'the page embeds its data');
  return JSON.parse(m[1]!) as PageData;
}

describe('html report: generated text', () => {
  it('is self-contained: no external src/href, no imports, a CSP that forbids fetching', () => {
    const html = renderHtml(makeRaceModel());
    assert.doesNotMatch(html, /\b(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    assert.doesNotMatch(html, /<link\b/i);
    assert.doesNotMatch(html, /@import|url\(\s*["']?(?:https?:)?\/\//i);
    assert.doesNotMatch(html, /<script[^>]*\bsrc=/i);
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'none'/);
    const hash = createHash('sha256').update(CLIENT_JS, 'utf8').digest('base64');
    assert.ok(csp.includes(`'sha256-${hash}'`), 'the CSP allows exactly the inlined script');
    assert.ok(html.includes(`<script>${CLIENT_JS}</script>`));
  });

  it('escapes hostile paths in markup and in the embedded JSON', () => {
    const evil = `/x/</script><script>alert(1)</script><img src=x onerror=alert(2)>"'&\u2028end`;
    const html = renderHtml(makeRaceModel(evil));
    assert.equal(html.match(/<script\b/gi)?.length, 2, 'only the data and the client script elements');
    assert.equal(html.match(/<\/script/gi)?.length, 2);
    assert.ok(!html.includes('<img'), 'no markup from the path');
    assert.ok(!html.includes('alert(1)</script>'));
    assert.ok(html.includes('&lt;/script&gt;&lt;script&gt;alert(1)'), 'shown as text');
    const data = pageData(html);
    assert.equal(data.groups[0]!.title, evil, 'the JSON round-trips the exact path');
    assert.equal(escapeHtml(`<a href="x">'&`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
    assert.equal(embedJson('</script>&\u2028'), '"\\u003c/script\\u003e\\u0026\\u2028"');
  });

  it('names the machine each connection was recorded on, escaped; nothing when the capture does not say', () => {
    const m = makeRaceModel();
    m.connections[0]!.hardware = 'aarch64<b>';
    m.connections[1]!.hardware = undefined;
    const html = renderHtml(m);
    assert.ok(html.includes('init; recorded on aarch64&lt;b&gt;)'), 'the first connection');
    assert.equal(html.match(/recorded on/g)?.length, 1, 'not the second');
  });

  it('links the finding count to the findings, which come before the long tables', () => {
    const html = renderHtml(makeRaceModel());
    assert.match(html, /<dt>findings<\/dt><dd><a href="#findings" id="findings-count">/);
    const at = (re: RegExp): number => {
      const m = re.exec(html);
      assert.ok(m, `the page has ${re}`);
      return m.index;
    };
    const findings = at(/<section id="findings">/);
    assert.ok(findings < at(/<section id="ops">/), 'findings before the per-opcode table');
    assert.ok(findings < at(/<section id="timelines">/), 'and before the timelines');
    assert.ok(findings < at(/<section id="latency">/), 'and before the histograms');
    assert.ok(at(/<li class="finding sev-error"/) > findings);
  });

  it('client script compiles and holds no closing script tag', () => {
    assert.doesNotThrow(() => new Function(CLIENT_JS));
    assert.ok(!/<\/script/i.test(CLIENT_JS));
    assert.ok(!/<!--/.test(CLIENT_JS));
  });

  it('assigns lanes greedily: a lane is reused once its last bar ended', () => {
    assert.deepEqual(assignLanes([0, 5, 10, 11, 30], [10, 15, 20, 12, 40]), [0, 1, 0, 2, 0]);
    assert.deepEqual(assignLanes([], []), []);
    // Unsorted input keeps input order in the result.
    assert.deepEqual(assignLanes([10, 0], [20, 10]), [0, 0]);
  });

  it('puts files with findings first, joins correlated files and marks the finding bars', () => {
    const data = buildPageData(makeRaceModel());
    assert.equal(data.groups.length, 1, 'A and B views of one backing file are one group');
    const g = data.groups[0]!;
    assert.deepEqual(g.conns, [0, 1]);
    assert.equal(g.bars.length, 11);
    const hl = g.bars.filter((b) => (b[11] & 1) === 1);
    assert.deepEqual(hl.map((b) => data.ops[b[3]]!.name), ['WRITE', 'WRITE']);
    assert.deepEqual(hl.map((b) => b[8]), [3 * GiB, 3.5 * GiB]);
    // The two writes overlap in time: different lanes.
    assert.notEqual(hl[0]![0], hl[1]![0]);
    assert.equal(data.findings[0]!.severity, 'error', 'worst first');
    assert.equal(data.findings[0]!.group, g.id);
  });

  it('finds the exchanges of a finding on a correlated connection; links file-less findings to the in-flight charts', () => {
    const m = makeRaceModel();
    const race = m.findings[1]!;
    m.findings.push({ ...race, kind: 'write-truncate-race', uniques: [16, 8], fingerprint: 'z' });
    m.findings.push({ ...race, kind: 'unanswered-request', severity: 'warning', nodeid: null, path: null, uniques: [99], fingerprint: 'w' });
    const data = buildPageData(m);
    const wtr = data.findings.find((f) => f.kind === 'write-truncate-race')!;
    assert.deepEqual(wtr.bars, ['0:16', '1:8'], 'the SETATTR of conn 1 is found by its unique');
    const g = data.groups[0]!;
    const setattr = g.bars.find((b) => b[4] === 1 && b[5] === 8)!;
    assert.equal(setattr[11] & 1, 1, 'and highlighted');
    const html = renderHtml(m);
    const un = data.findings.find((f) => f.kind === 'unanswered-request')!;
    assert.equal(un.group, null);
    assert.ok(html.includes(`<a class="goto" href="#inflight" data-finding="${un.i}">`));
  });

  it('highlights every write of a race episode: the 64-writer race fixture', { skip: existsSync(RACE64[0]!) && existsSync(RACE64[1]!) ? false : 'fixtures/stale-size-race64-1-*.pcapng missing' }, () => {
    const r = analyze({ files: RACE64, timeline: true });
    const race = r.model.findings.find((f) => f.kind === 'parallel-write-beyond-size')!;
    assert.ok(race.uniques.length > 8, `many writes in one finding (${race.uniques.length})`);
    const data = buildPageData(r.model);
    const pf = data.findings.find((f) => f.kind === 'parallel-write-beyond-size')!;
    assert.deepEqual(pf.uniques, race.uniques, 'every unique');
    assert.deepEqual(pf.bars, race.uniques.map((u) => `0:${u}`), 'every bar');
    const g = data.groups.find((x) => x.id === pf.group)!;
    const lit = g.bars.filter((b) => (b[11] & 1) === 1).map((b) => b[5]);
    assert.deepEqual([...lit].sort((a, b) => Number(a) - Number(b)), [...race.uniques].sort((a, b) => Number(a) - Number(b)));
  });

  it('highlights every write of a race episode of 300 writes', () => {
    const c = openedFile({ size: 0, fopen: 0x41, name: 'f' });
    let pending: number | undefined;
    for (let i = 0; i < 300; i++) {
      const w = c.writeReq(0, 10 + i, 10, 1, (i + 1) * 65536, 65536, { pid: 1 + (i % 2) });
      if (pending !== undefined) c.writeReply(0, 10.5 + i, pending, 65536);
      pending = w;
    }
    c.writeReply(0, 400, pending!, 65536);
    const r = c.analyze({ timeline: true });
    const race = r.model.findings.find((f) => f.kind === 'parallel-write-beyond-size')!;
    assert.equal(race.uniques.length, 300);
    const pf = buildPageData(r.model).findings.find((f) => f.kind === 'parallel-write-beyond-size')!;
    assert.deepEqual(pf.uniques, race.uniques);
    assert.deepEqual(pf.bars, race.uniques.map((u) => `0:${u}`));
  });

  it('stays bounded for a model with 1e6 bars and says so', () => {
    const html = renderHtml(makeHugeModel(1_000_000));
    const bytes = Buffer.byteLength(html);
    assert.ok(bytes < 4 * 1024 * 1024, `page is ${bytes} bytes`);
    const data = pageData(html);
    assert.ok(data.barsDrawn <= DEFAULT_HTML_LIMITS.bars, `drew ${data.barsDrawn}`);
    assert.equal(data.barsTotal, 1_000_011);
    const g = data.groups[0]!;
    assert.ok(g.density !== null && g.density.counts.length <= DEFAULT_HTML_LIMITS.densityBuckets + 1);
    assert.equal(
      g.density.counts.reduce((a, b) => a + b, 0),
      g.barsTotal,
      'the density strip counts every exchange',
    );
    assert.ok(g.bars.some((b) => (b[11] & 1) === 1), 'finding bars are kept');
    assert.ok(g.sizes.length <= DEFAULT_HTML_LIMITS.sizeEvents && g.sizesTruncated);
    assert.match(html, /Drawn: [\d,]+ of 1,000,011 exchanges/);
    for (const c of data.inflight) assert.ok(c.steps.length <= DEFAULT_HTML_LIMITS.inflightSteps);
  });
});

// ---------------------------------------------------------------- browser

type PW = typeof import('playwright-core');
let pw: PW | undefined;
let whyNoBrowser: string | undefined;
try {
  pw = (await import('playwright-core')) as PW;
} catch (e) {
  whyNoBrowser = `playwright-core is not installed (${(e as Error).message.split('\n')[0]}); run npm install`;
}
if (!whyNoBrowser && !existsSync(CHROMIUM)) whyNoBrowser = `${CHROMIUM} is missing; apt-get install chromium (listed in .ci/apt-packages.txt)`;

/** Why the real-fixture report cannot be made here, or undefined. */
function whyNoFixtureReport(): string | undefined {
  if (!existsSync(FIXTURE_A) || !existsSync(FIXTURE_B)) return 'fixtures/stale-size-race-{A,B}.pcapng are missing (fixtures/gen/stale-size-race.sh records them)';
  if (!existsSync(join(ROOT, 'dist/src/analysis/analyze.js'))) return 'the analysis stage (src/analysis/analyze.ts) is not built yet';
  return undefined;
}

const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

describe('html report: in chromium, offline', { skip: whyNoBrowser ?? false }, () => {
  let browser: import('playwright-core').Browser;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fusetrace-html-'));
    browser = await pw!.chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a page with the network off; returns it with the console errors and the requests tried. */
  async function open(file: string) {
    const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith('file:') && !url.startsWith('data:')) requests.push(url);
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('html[data-ready="1"]', { timeout: 15000 });
    return { context, page, errors, requests };
  }

  /**
   * The page redraws (and updates the #range readout) on the next animation
   * frame after a control moved the view: wait for a frame drawn after now,
   * so that the readout holds what the last action did.
   */
  async function settled(page: import('playwright-core').Page): Promise<void> {
    await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
  }

  async function readRange(page: import('playwright-core').Page): Promise<[number, number, string]> {
    await settled(page);
    return page.$eval('#range', (e) => [Number(e.getAttribute('data-t0')), Number(e.getAttribute('data-t1')), e.textContent ?? ''] as [number, number, string]);
  }

  /** Distinct colours and non-white share of a PNG, measured by the browser itself. */
  async function pixelStats(png: Buffer): Promise<{ colors: number; nonWhite: number }> {
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const stats = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const colors = new Set<number>();
      let nonWhite = 0;
      for (let i = 0; i < d.length; i += 4) {
        colors.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
        if (d[i]! < 240 || d[i + 1]! < 240 || d[i + 2]! < 240) nonWhite++;
      }
      return { colors: colors.size, nonWhite: nonWhite / (d.length / 4) };
    }, png.toString('base64'));
    await context.close();
    return stats;
  }

  /** The checks of the issue, on the page of a race between two parallel WRITEs at 3 GiB and 3.5 GiB. */
  async function checkRacePage(file: string, shot: string): Promise<void> {
    const { context, page, errors, requests } = await open(file);
    try {
      // The racing WRITEs: drawn, highlighted, at 3 GiB and 3.5 GiB.
      const data = (await page.evaluate(() => JSON.parse(document.getElementById('fusetrace-data')!.textContent))) as PageData;
      const race = data.findings.find((f) => f.kind === 'parallel-write-beyond-size');
      assert.ok(race, `a parallel-write-beyond-size finding (have: ${data.findings.map((f) => f.kind).join(', ')})`);
      assert.ok(race.group, 'the finding has a timeline');
      const hlWrites = await page.$$eval(`#${race.group} rect.bar.hl[data-op="WRITE"]`, (els) =>
        els.map((e) => ({ conn: e.getAttribute('data-conn'), unique: e.getAttribute('data-unique'), w: (e as SVGRectElement).getBBox().width })),
      );
      assert.ok(hlWrites.length >= 2, `two highlighted WRITE bars drawn, saw ${hlWrites.length}`);
      for (const b of hlWrites) assert.ok(b.w >= 1, 'each has a visible width');
      const g = data.groups.find((x) => x.id === race.group)!;
      const offsets = g.bars.filter((b) => (b[11] & 1) === 1 && data.ops[b[3]]!.name === 'WRITE').map((b) => b[8]);
      assert.ok(offsets.includes(3 * GiB) && offsets.includes(3.5 * GiB), `WRITE offsets ${offsets.join(', ')}`);

      // Hover: a WRITE is labelled with its offset and size.
      await page.hover(`#${race.group} rect.bar.hl[data-op="WRITE"]`);
      const tip = await page.textContent('#tip');
      assert.match(tip ?? '', /WRITE #\d+/);
      assert.match(tip ?? '', /offset 3(\.5)? GiB \(\d+\)\s+size 64 KiB \(65536\)/);

      // The finding's link zooms to and scrolls to the two WRITEs.
      await page.evaluate(() => window.scrollTo(0, 0));
      const before = await readRange(page);
      await page.click(`a.goto[data-finding="${race.i}"]`);
      await settled(page);
      const focused = await page.$$eval(`#${race.group} rect.bar.focus`, (els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { op: e.getAttribute('data-op'), top: r.top, bottom: r.bottom, left: r.left, right: r.right, vh: window.innerHeight, vw: window.innerWidth };
        }),
      );
      assert.ok(focused.filter((f) => f.op === 'WRITE').length >= 2, 'both WRITEs are focused');
      for (const f of focused) {
        assert.ok(f.top >= 0 && f.bottom <= f.vh, `focused bar in the viewport vertically (${f.top}..${f.bottom} of ${f.vh})`);
        assert.ok(f.right > 0 && f.left < f.vw, 'and horizontally');
      }
      const afterLink = await readRange(page);
      assert.ok(afterLink[1] - afterLink[0] <= before[1] - before[0], 'the link zooms to the finding');

      // Zoom: buttons and Ctrl+wheel change the visible time range; drag pans.
      await page.click('#zoom-reset');
      const full = await readRange(page);
      assert.deepEqual([full[0], full[1]], [data.span.startT, data.span.endT], '"all" shows the whole capture');
      await page.click('#zoom-in');
      const zoomed = await readRange(page);
      assert.ok(Math.abs((zoomed[1] - zoomed[0]) * 2 - (full[1] - full[0])) <= 2, `zoom in halves the range: ${full[2]} -> ${zoomed[2]}`);
      assert.notEqual(zoomed[2], full[2], 'the readout changed');
      const svg = await page.$(`#${race.group} .plot svg`);
      const box = (await svg!.boundingBox())!;
      await svg!.scrollIntoViewIfNeeded();
      const box2 = (await svg!.boundingBox())!;
      await page.mouse.move(box2.x + box.width * 0.6, box2.y + 30);
      await page.keyboard.down('Control');
      await page.mouse.wheel(0, -300);
      await page.keyboard.up('Control');
      await page.waitForFunction((t1) => Number(document.getElementById('range')!.getAttribute('data-t1')) !== t1, zoomed[1]);
      const wheeled = await readRange(page);
      assert.ok(wheeled[1] - wheeled[0] < zoomed[1] - zoomed[0], 'Ctrl+wheel zooms in');
      await page.mouse.move(box2.x + box.width * 0.6, box2.y + 30);
      await page.mouse.down();
      await page.mouse.move(box2.x + box.width * 0.3, box2.y + 30, { steps: 5 });
      await page.mouse.up();
      await page.waitForFunction((t0) => Number(document.getElementById('range')!.getAttribute('data-t0')) !== t0, wheeled[0]);
      const dragged = await readRange(page);
      assert.ok(dragged[0] > wheeled[0], 'dragging left moves the range later');
      assert.ok(Math.abs(dragged[1] - dragged[0] - (wheeled[1] - wheeled[0])) <= 2, 'panning keeps the width');

      // The size history and the in-flight plots are drawn.
      assert.ok((await page.$$(`#${race.group} path.daemon-size`)).length === 1, 'daemon_size line');
      assert.ok((await page.$$(`#${race.group} path.kernel-size`)).length >= 1, 'kernel_size lines');
      assert.ok((await page.$$('#inflight-plots svg')).length === data.inflight.length);
      // The kernel's queue, where sampled: waiting and both limits over the in-flight depth.
      const queued = data.inflight.filter((c) => c.queue !== undefined).length;
      for (const cls of ['queue-waiting', 'queue-congestion', 'queue-max-background']) {
        assert.equal(await page.$$eval(`#inflight-plots path.${cls}`, (els) => els.length), queued, cls);
      }

      // Not blank.
      await page.click('#zoom-reset');
      await settled(page);
      await page.evaluate(() => window.scrollTo(0, 0));
      const png = await page.screenshot({ fullPage: true, path: shot });
      const px = await pixelStats(png);
      assert.ok(px.colors >= 16, `screenshot has ${px.colors} colours`);
      assert.ok(px.nonWhite > 0.02 && px.nonWhite < 0.9, `non-white share ${px.nonWhite}`);

      assert.deepEqual(errors, [], 'no console errors');
      assert.deepEqual(requests, [], 'no network requests');
    } finally {
      await context.close();
    }
  }

  it('hand-made race model: drawn, highlighted, linked, zoomable, offline', async () => {
    const file = join(dir, 'model.html');
    const model = makeRaceModel('/data/</script><b>file');
    assert.ok(model.connections.some((c) => c.queue !== undefined), 'the model has queue samples to draw');
    (await import('node:fs')).writeFileSync(file, renderHtml(model));
    await checkRacePage(file, join(dir, 'model.png'));
  });

  const why = whyNoFixtureReport();
  it('real stale-size-race fixtures (A + B): drawn, highlighted, linked, zoomable, offline', { skip: why ?? false }, async () => {
    const file = join(dir, 'race.html');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/fusetrace'), 'report', FIXTURE_A, FIXTURE_B, '-o', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `fusetrace report failed: ${r.stderr}`);
    const html = readFileSync(file, 'utf8');
    assert.ok(Buffer.byteLength(html) < 4 * 1024 * 1024);
    await checkRacePage(file, process.env.FUSETRACE_SHOT ?? join(dir, 'race.png'));
  });

  it('a window of a busy file: every exchange in it drawn, the strip shows the rest, the page opens on it', async () => {
    // 30,000 WRITEs on /f over 300 s, one every 10 ms; the window holds 101 of them.
    const c = openedFile({ size: 0, name: 'f' });
    for (let i = 0; i < 30_000; i++) {
      const u = c.writeReq(0, 10 + i * 10, 10, 1, i * 4096, 4096);
      c.writeReply(0, 11 + i * 10, u, 4096);
    }
    const file = join(dir, 'busy.html');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/fusetrace'), 'report', c.file('busy.pcapng'), '--since', '100s', '--until', '101s', '--file', '/f', '-o', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const { context, page, errors, requests } = await open(file);
    try {
      const data = (await page.evaluate(() => JSON.parse(document.getElementById('fusetrace-data')!.textContent))) as PageData;
      assert.deepEqual(data.groups.map((g) => g.title), ['/f']);
      const range = await readRange(page);
      assert.deepEqual([range[0], range[1]], [100e9, 101e9], `opens on the window: ${range[2]}`);
      assert.match(range[2], /^showing 100\.0 s – 101\.0 s \(1\.000 s\)/);
      assert.equal(await page.$$eval('#g0 rect.bar', (els) => els.length), 101, 'every exchange of the window is drawn');
      assert.ok((await page.$$eval('#g0 g.density rect', (els) => els.length)) > 0, 'the density strip is drawn');
      await page.click('#zoom-reset');
      await settled(page);
      const slices = await page.$$eval('#g0 g.density rect', (els) => els.length);
      assert.ok(slices >= 100, `zoomed out, the strip covers the whole file (${slices} slices)`);
      assert.equal(await page.textContent('#g0 text.density-label'), 'all 30,001');
      const caption = (await page.textContent('#g0 .ginfo')) ?? '';
      assert.match(caption, /101 exchanges selected/);
      assert.match(caption, /30,001 in the whole capture/);
      const ticks = await page.$$eval('#g0 text.size-tick', (els) => els.map((e) => e.textContent));
      assert.equal(new Set(ticks).size, ticks.length, `size ticks once each: ${ticks.join(' / ')}`);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, []);
    } finally {
      await context.close();
    }
  });

  it('large page stays responsive enough to draw', async () => {
    const file = join(dir, 'huge.html');
    (await import('node:fs')).writeFileSync(file, renderHtml(makeHugeModel(200_000)));
    const { context, page, errors, requests } = await open(file);
    try {
      const drawn = await page.$$eval('rect.bar', (els) => els.length);
      assert.ok(drawn > 0 && drawn <= DEFAULT_HTML_LIMITS.bars, `drew ${drawn} bars`);
      assert.match((await page.textContent('#bars-note')) ?? '', /Drawn: [\d,]+ of [\d,]+ exchanges/);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, []);
    } finally {
      await context.close();
    }
  });
});
