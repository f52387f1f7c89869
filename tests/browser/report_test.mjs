// Opens ggplace's HTML reports in a real browser (Debian's chromium driven by
// playwright-core) and checks what a person would see: no console error, no
// network request, one layer column per layer, device totals equal to the
// plan's JSON, hover details, a page that stands without JavaScript, and a
// large model's report small and quick to render.
//
// node report_test.mjs GGPLACE_BINARY SOURCE_DIR OUT_DIR
// Environment: GGPLACE_PLAYWRIGHT (the playwright-core package directory),
// GGPLACE_CHROMIUM (default /usr/bin/chromium).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [bin, srcDir, outDir] = process.argv.slice(2).map((p) => resolve(p));
const require = createRequire(import.meta.url);
const { chromium } = require(process.env.GGPLACE_PLAYWRIGHT);
mkdirSync(outDir, { recursive: true });

// Models are named relative to the source tree, as a user would type them.
const ex = (name) => join('examples', name);
const inSrc = { cwd: srcDir };
const cases = [
  { name: 'dense', model: ex('llama-3.1-8b.gguf'), args: ['--no-detect', '--gpu', '12GiB', '--ram', '32GiB'] },
  { name: 'moe', model: ex('qwen3-30b-a3b.gguf'), args: ['--no-detect', '--gpu', '12GiB', '--gpu', '8GiB', '--ram', '64GiB'] },
  { name: 'cpu', model: ex('llama-3.1-8b.gguf'), args: ['--no-detect', '--ram', '32GiB'] },
  // 1104 tensors: the size and speed limits.
  { name: 'large', model: ex('deepseek-v3-671b.gguf'), args: ['--no-detect', '--gpu', '24GiB', '--gpu', '24GiB', '--ram', '512GiB'], large: true },
];

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL: ${what}`);
  }
}

// Each context runs in its own fresh profile, removed afterwards.
const profiles = [];
async function openContext(javaScriptEnabled) {
  const profile = mkdtempSync(join(tmpdir(), 'ggplace-chromium-'));
  profiles.push(profile);
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.GGPLACE_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    javaScriptEnabled,
    viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
const browser = await openContext(true);
const noScript = await openContext(false);

try {
  for (const c of cases) {
    const jsonPath = join(outDir, `report-${c.name}.json`);
    const htmlPath = join(outDir, `report-${c.name}.html`);
    const direct = join(outDir, `report-${c.name}-direct.html`);
    rmSync(direct, { force: true });
    rmSync(htmlPath, { force: true });
    const json = execFileSync(bin, ['plan', c.model, ...c.args, '--json'], { ...inSrc, encoding: 'utf8' });
    const plan = JSON.parse(json);
    execFileSync('sh', ['-c', 'cat > "$1"', 'sh', jsonPath], { input: json });
    execFileSync(bin, ['report', jsonPath, '-o', htmlPath], inSrc);
    execFileSync(bin, ['plan', c.model, ...c.args, '--report', direct, '--cmd'], inSrc);
    // Both ways draw the page from the same JSON, so they are the same page.
    check(readFileSync(htmlPath, 'utf8') === readFileSync(direct, 'utf8'),
      `${c.name}: plan --report and report PLAN.json give the same page`);
    const size = statSync(htmlPath).size;
    check(size < 1024 * 1024, `${c.name}: report is ${size} bytes (limit 1 MiB)`);

    const page = await browser.newPage();
    const errors = [];
    const requests = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    const t0 = Date.now();
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    const wall = Date.now() - t0;
    const nav = await page.evaluate(() => {
      const e = performance.getEntriesByType('navigation')[0];
      return e ? e.loadEventEnd - e.startTime : -1;
    });
    const got = await page.evaluate(() => ({
      columns: document.querySelectorAll('#layer-map .layer-col').length,
      devices: [...document.querySelectorAll('#devices .dev')].map((d) => ({
        name: d.dataset.name, total: d.dataset.total, model: d.dataset.model,
        context: d.dataset.context, compute: d.dataset.compute,
      })),
      alternatives: document.querySelectorAll('#alternatives tbody tr').length,
      chosen: document.querySelectorAll('#alternatives tr.chosen').length,
      charts: document.querySelectorAll('#curve .chart').length,
      cmd: document.getElementById('cmd').textContent,
      copyVisible: !document.getElementById('copy').hidden,
    }));
    check(errors.length === 0, `${c.name}: console errors: ${errors.join(' | ')}`);
    const remote = requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'));
    check(remote.length === 0, `${c.name}: network requests: ${remote.join(' ')}`);
    check(got.columns === plan.model.n_layer, `${c.name}: ${got.columns} layer columns for ${plan.model.n_layer} layers`);
    check(got.devices.length === plan.devices.length, `${c.name}: ${got.devices.length} devices drawn, ${plan.devices.length} in the plan`);
    plan.devices.forEach((d, i) => {
      const g = got.devices[i] || {};
      for (const k of ['total', 'model', 'context', 'compute'])
        check(g.name === d.name && g[k] === String(d[k]), `${c.name}: ${d.name} ${k} ${g[k]} in the page, ${d[k]} in the JSON`);
    });
    check(got.cmd === plan.cmd, `${c.name}: the command in the page is the plan's`);
    check(got.copyVisible, `${c.name}: the copy button is shown when scripts run`);
    check(got.alternatives >= 1 && got.chosen === 1, `${c.name}: alternatives listed with the chosen one marked`);
    check(got.charts >= 1, `${c.name}: a context curve is drawn`);

    await page.screenshot({ path: join(outDir, `report-${c.name}.png`), fullPage: true });

    // Hover details come from the inline script.
    const cell = page.locator('#layer-map .layer-col [data-tip]').first();
    await cell.hover();
    const tip = await page.evaluate(() => {
      const t = document.getElementById('tip');
      return t.hidden ? '' : t.textContent;
    });
    check(/^layer \d+/.test(tip), `${c.name}: hovering a layer shows its details (got '${tip}')`);
    check(errors.length === 0, `${c.name}: no console error after hovering`);

    console.log(`${c.name}: ${size} bytes, ${got.columns} layers, load ${nav.toFixed(0)} ms (wall ${wall} ms)`);
    if (c.large)
      check(nav >= 0 && nav < 1000, `${c.name}: rendered in ${nav.toFixed(0)} ms (limit 1000 ms)`);
    await page.close();

    // Without JavaScript the page still shows everything but the hover box.
    const still = await noScript.newPage();
    await still.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    const noJs = await still.evaluate(() => ({
      columns: document.querySelectorAll('#layer-map .layer-col').length,
      devices: document.querySelectorAll('#devices .dev').length,
      copyHidden: document.getElementById('copy').hidden,
    }));
    check(noJs.columns === plan.model.n_layer && noJs.devices === plan.devices.length,
      `${c.name}: the map and the devices are there with JavaScript off`);
    check(noJs.copyHidden, `${c.name}: no dead copy button with JavaScript off`);
    await still.close();
  }
} finally {
  await browser.close();
  await noScript.close();
  for (const p of profiles)
    rmSync(p, { recursive: true, force: true });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
