// Browser test (headless Chromium through playwright-core) of the metrics
// report page: a store seeded with a known November, the real
// `botwarden-notifier report` writes JSON and HTML, and the page opened from
// file:// must show every figure of the JSON (table and headline) and draw
// every charted value from it: daily bars, the notified share against the
// 99 % line, both duration histograms (data-value, <title> and bar size).
// Usage: node report/report.test.mjs NOTIFIER SEEDER
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [notifier, seeder] = process.argv.slice(2);
if (!notifier || !seeder) {
  console.error('usage: node report/report.test.mjs NOTIFIER SEEDER');
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'bw-report-browser-'));
let failures = 0;
function check(condition, what) {
  if (condition) console.log('ok   ' + what);
  else {
    failures++;
    console.error('FAIL ' + what);
  }
}
const near = (a, b) => Math.abs(a - b) < 0.051;  // coordinates are printed with one decimal

async function main() {
  const db = join(work, 'bw.db');
  execFileSync(seeder, [db]);
  const config = join(work, 'botwarden.toml');
  writeFileSync(config, `[notifier]\ndatabase = "${db}"\nlog_level = "warn"\n\n[report]\ntimezone = "Europe/Berlin"\n`);
  const run = (...args) => execFileSync(notifier, ['-c', config, 'report', '--from', '2026-11-01', '--to', '2026-11-30', ...args],
    { encoding: 'utf8' });
  const json = JSON.parse(run('--format', 'json'));
  const htmlFile = join(work, 'report.html');
  run('--format', 'html', '--out', htmlFile);

  // The JSON is the known November (so the comparison below cannot pass on two empty reports).
  check(json.period.from === '2026-10-31T23:00:00Z' && json.period.timezone === 'Europe/Berlin', 'period in [report] timezone');
  check(json.subscriber_base === 11 && json.notified_share === 0.6 && json.daily.length === 30, 'JSON has the known figures');

  // The CLI refuses a bad period with exit 2 and says why.
  try {
    execFileSync(notifier, ['-c', config, 'report', '--from', 'yesterday'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    check(false, 'report --from yesterday fails');
  } catch (e) {
    check(e.status === 2 && e.stderr === "botwarden-notifier: report: --from: expected a date (2026-10-01) or an RFC 3339 time, got 'yesterday'\n",
      `report --from yesterday: exit 2 and the reason (got ${e.status}: ${e.stderr})`);
  }
  const csv = run('--format', 'csv');
  check(csv.startsWith('figure,label,value\r\nsubscriber_base,,11\r\n'), 'CSV starts with the subscriber base');

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    page.on('dialog', (d) => { check(false, 'no dialog (a script ran): ' + d.message()); d.dismiss(); });
    await page.goto(pathToFileURL(htmlFile).href);
    check((await page.locator('script').count()) === 0, 'the page has no script');

    // Every table row equals the JSON value at its name (and label).
    const rows = await page.$$eval('#figures tr[data-figure]', (trs) => trs.map((tr) => ({
      figure: tr.dataset.figure, label: tr.dataset.label,
      value: tr.querySelector('td.value').dataset.value, text: tr.querySelector('td.value').textContent })));
    let leaves = 0;
    const countLeaves = (v) => { if (v !== null && typeof v === 'object') Object.values(v).forEach(countLeaves); else leaves++; };
    for (const [k, v] of Object.entries(json)) if (!['period', 'generated_at', 'daily'].includes(k)) countLeaves(v);
    check(rows.length === leaves, `the table has one row per JSON figure (${rows.length} rows, ${leaves} figures)`);
    let mismatches = 0;
    for (const row of rows) {
      let v = json;
      for (const part of row.figure.split('.')) v = v?.[part];
      if (row.label) v = v?.[row.label.slice(row.label.indexOf('=') + 1)];
      const shown = row.value === '' ? null : Number(row.value);
      if (v === undefined || shown !== v) {
        mismatches++;
        console.error(`  ${row.figure} ${row.label}: page ${row.value}, JSON ${v}`);
      }
      if (v !== null && typeof v === 'number' && !row.figure.endsWith('share') && !row.figure.startsWith('reinfection_rate')) {
        if (row.text !== String(v)) { mismatches++; console.error(`  ${row.figure} ${row.label}: text ${row.text}`); }
      }
    }
    check(mismatches === 0, 'every figure in the table equals the JSON');
    for (const name of ['infected_share', 'notified_share']) {
      const value = await page.getAttribute(`strong[data-figure="${name}"]`, 'data-value');
      check(Number(value) === json[name], `headline ${name} = ${json[name]}`);
    }
    check((await page.textContent('strong[data-figure="notified_share"]')) === '60.00 %', 'headline shows 60.00 %');

    // Daily chart: a bar per day and series, value and height from the JSON.
    const bars = await page.$$eval('#chart-daily rect[data-series]', (rs) => rs.map((r) => ({
      series: r.dataset.series, date: r.dataset.date, value: Number(r.dataset.value),
      height: Number(r.getAttribute('height')), title: r.querySelector('title').textContent })));
    const max = Math.max(1, ...json.daily.flatMap((d) => [d.detections, d.notices_sent]));
    let dailyBad = 0;
    for (const d of json.daily) {
      for (const series of ['detections', 'notices_sent']) {
        const bar = bars.find((b) => b.series === series && b.date === d.date);
        if (!bar || bar.value !== d[series] || !near(bar.height, 180 * d[series] / max) || !bar.title.startsWith(`${d.date}: ${d[series]} `)) {
          dailyBad++;
          console.error(`  daily ${series} ${d.date}: ${JSON.stringify(bar)} vs ${d[series]}`);
        }
      }
    }
    check(bars.length === 60 && dailyBad === 0, 'daily chart: 30 days x 2 series drawn with the JSON values');
    check(json.daily.find((d) => d.date === '2026-11-29').detections === 1, 'a 23:30Z detection is on the next Berlin day');

    // Notified share against the 99 % line.
    for (const series of ['notified_share', 'notified_within_24h_share']) {
      const r = await page.$(`#chart-notified rect[data-series="${series}"]`);
      const value = Number(await r.getAttribute('data-value'));
      const width = Number(await r.getAttribute('width'));
      check(value === json[series] && near(width, 500 * json[series]), `${series} bar = ${json[series]} (width ${width})`);
    }
    const target = await page.$('#chart-notified line[data-series="target"]');
    check(Number(await target.getAttribute('data-value')) === 0.99 && near(Number(await target.getAttribute('x1')), 200 + 500 * 0.99),
      'the 99 % line is drawn at 0.99');

    // Histograms: one bar per bucket with the JSON count.
    for (const [id, key] of [['chart-time-to-notify', 'time_to_notify'], ['chart-time-to-remediate', 'time_to_remediate']]) {
      const hist = await page.$$eval(`#${id} rect[data-series]`, (rs) => rs.map((r) => ({
        bucket: r.dataset.bucket, value: Number(r.dataset.value), title: r.querySelector('title').textContent })));
      const expected = Object.entries(json[key].histogram);
      check(hist.length === expected.length && expected.every(([b, n]) => hist.some((h) => h.bucket === b && h.value === n && h.title === `${b}: ${n}`)),
        `${key} histogram equals the JSON (${expected.map(([b, n]) => b + '=' + n).join(' ')})`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((e) => { failures++; console.error('FAIL ' + (e.stack || e)); }).finally(() => {
  rmSync(work, { recursive: true, force: true });
  console.log(failures ? `${failures} failure(s)` : 'all passed');
  process.exit(failures ? 1 : 0);
});
