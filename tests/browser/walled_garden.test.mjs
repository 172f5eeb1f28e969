// Browser test (headless Chromium through playwright-core) of the real
// `botwarden-notifier serve` on loopback, seeded through the real CLI
// (import-leases, ingest) and a real SMTP sink (the outbox sends the first
// notices, so the incidents are "notified"):
//   1. a walled subscriber opens any URL, sees their own notice, ticks the
//      box, presses "I have cleaned my computer" and is released; the store
//      then says acknowledged by the subscriber;
//   2. another subscriber without an incident sees the neutral page;
//   3. an operator logs in, filters the list, opens another incident, reads
//      the evidence and releases it; the store says acknowledged by the operator;
//   4. a HELO of <img src=x onerror=alert(1)> shows as that literal text on
//      both pages, and any dialog (a script ran) fails the test;
//   5. the operator opens the metrics report from the console navigation and
//      sees the ops API's JSON figures; a bad period is refused by name;
//      /metrics counts a POSTed duplicate event and carries the report gauges.
// Usage: node walled_garden.test.mjs NOTIFIER HASH_PASSWORD SOURCE_DIR
import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const [notifier, hashTool, source] = process.argv.slice(2);
if (!notifier || !hashTool || !source) {
  console.error('usage: node walled_garden.test.mjs NOTIFIER HASH_PASSWORD SOURCE_DIR');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, 'artifacts');
mkdirSync(artifacts, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'bw-browser-'));
const HOSTILE = '<img src=x onerror=alert(1)>';
const API_TOKEN = 'browser-api-token-0123456789abcdef';
const children = [];
let failures = 0;

function check(condition, what) {
  if (condition) {
    console.log('ok   ' + what);
  } else {
    failures++;
    console.error('FAIL ' + what);
  }
}
function must(condition, what) {
  check(condition, what);
  if (!condition) throw new Error('cannot go on after: ' + what);
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const config = join(work, 'botwarden.toml');
function cli(...args) {
  try {
    return execFileSync(notifier, ['-c', config, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`botwarden-notifier ${args.join(' ')}: exit ${e.status}: ${e.stderr}`);
  }
}
function incident(id) {
  return JSON.parse(cli('incidents', 'show', String(id), '--json'));
}
function incidentsOf(state) {
  return JSON.parse(cli('incidents', 'list', '--state', state, '--json'));
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rfc3339 = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

async function startSmtpSink() {
  const sink = spawn('/usr/bin/python3', [join(source, 'tests/e2e/notices/smtp_sink.py'), '--maildir', join(work, 'mail')],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(sink);
  const lines = createInterface({ input: sink.stdout });
  for await (const line of lines) {
    const m = /^READY (\d+)$/.exec(line.trim());
    if (m) return Number(m[1]);
  }
  throw new Error('smtp_sink.py did not start');
}

async function main() {
  const smtpPort = await startSmtpSink();
  const webPort = await freePort();
  const hash = (password) => execFileSync(hashTool, { input: password + '\n', encoding: 'utf8' }).trim();
  writeFileSync(config, `[notifier]
database = "${join(work, 'bw.db')}"
log_level = "warn"
tick_interval_seconds = 1

[[notifier.sensors]]
name = "sensor1"
token = "browser-sensor-token-0123456789"

[web]
listen = ["127.0.0.1:${webPort}"]
trusted_proxies = ["127.0.0.0/8"]

[notices]
smtp_url = "smtp://127.0.0.1:${smtpPort}"
templates_dir = "${join(source, 'configs/templates')}"
poll_seconds = 0.2

[pages]
support_phone = "0800 123 456"
support_email = "abuse@isp.example"
[[pages.tools]]
name = "Example scanner"
url = "https://tools.example/scanner"
[[pages.api_tokens]]
name = "dashboard"
role = "viewer"
token = "${API_TOKEN}"
[[pages.users]]
name = "otto"
role = "operator"
password_hash = "${hash('operator-pass')}"
`);

  // Accounts and leases through the real CLI.
  const day = 24 * 3600 * 1000;
  const now = Date.now();
  writeFileSync(join(work, 'accounts.csv'), 'account,email,language,business,exempt,name\n' +
    'alice,alice@example.net,en,no,no,Alice\nbob,bob@example.net,en,no,no,Bob\ncarol,carol@example.net,en,no,no,Carol\n');
  writeFileSync(join(work, 'leases.csv'), 'prefix,account,start,end\n' +
    ['100.64.0.10/32,alice', '100.64.0.11/32,bob', '100.64.0.12/32,carol']
      .map((l) => `${l},${rfc3339(now - day)},`).join('\n') + '\n');
  cli('import-leases', '--format', 'accounts', join(work, 'accounts.csv'));
  cli('import-leases', '--format', 'static-csv', join(work, 'leases.csv'));

  const serve = spawn(notifier, ['-c', config, 'serve'], { stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(serve);
  const base = `http://127.0.0.1:${webPort}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(base + '/static/botwarden.css')).ok) break; } catch { /* not yet */ }
    await sleep(100);
  }

  // Detection events (bot-controlled HELO) through the real CLI.
  const event = (n, subscriber, detector) => JSON.stringify({
    type: 'detection', schema: 1, id: n.toString(16).padStart(32, '0'), ts: rfc3339(now - 60000),
    sensor: 'sensor1', subscriber, address: subscriber, detector, score: 5.1,
    first_seen: rfc3339(now - 600000), last_seen: rfc3339(now - 60000), exempt: false,
    evidence: { sessions: 40, window_seconds: 600, distinct_destinations: 31, sample_helos: [HOSTILE, 'localhost'],
                sample_destinations: ['192.0.2.25'] },
  });
  writeFileSync(join(work, 'events.jsonl'),
    [event(1, '100.64.0.10', 'bad_helo'), event(2, '100.64.0.11', 'direct_to_mx')].join('\n') + '\n');
  must(cli('ingest', join(work, 'events.jsonl')).trim() === 'accepted 2, duplicate 0, rejected 0', 'events ingested');
  for (let i = 0; i < 150 && incidentsOf('notified').length < 2; i++) await sleep(100);
  const notified = incidentsOf('notified');
  must(notified.length === 2, 'the outbox sent both first notices: 2 incidents notified');
  const aliceId = notified.find((r) => r.account === 'alice').id;
  const bobId = notified.find((r) => r.account === 'bob').id;

  const userDataDir = join(work, 'chromium-profile');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--host-resolver-rules=MAP * 127.0.0.1:${webPort}`],
    viewport: { width: 390, height: 844 },  // a phone
  });
  const dialogs = [];
  const watch = (page) => page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  try {
    // 1. The walled subscriber (alice) opens any URL.
    const subscriber = await context.newPage();
    watch(subscriber);
    await subscriber.setExtraHTTPHeaders({ 'X-Forwarded-For': '100.64.0.10' });
    const response = await subscriber.goto('http://example.com/some/path?q=1');
    check(response.headers()['cache-control'] === 'no-store', 'notice page: Cache-Control: no-store');
    check(!/script-src|unsafe-inline/.test(response.headers()['content-security-policy']), 'notice page: CSP allows no script');
    check(await subscriber.locator('h1').innerText() === 'A device on your connection is sending spam',
      'subscriber sees the notice heading');
    check((await subscriber.locator('ul.seen').innerText()).includes('introducing itself with names that real mail programs do not use'),
      'subscriber sees what was seen, in plain language');
    check((await subscriber.locator('ul.evidence code').allInnerTexts()).includes(HOSTILE),
      'the hostile HELO is shown as literal text on the notice page');
    check(await subscriber.locator('img').count() === 0, 'no <img> element was injected');
    check(await subscriber.getByRole('link', { name: 'Example scanner' }).getAttribute('href') === 'https://tools.example/scanner',
      'allow-listed tool link');
    await subscriber.screenshot({ path: join(artifacts, '1-notice.png'), fullPage: true });

    await subscriber.getByRole('button', { name: 'I have cleaned my computer' }).click();
    check(await subscriber.locator('h1').innerText() === 'A device on your connection is sending spam',
      'without the box ticked the browser does not submit (required checkbox, no script)');
    check(incident(aliceId).state === 'notified', 'store: still notified before confirming');
    await subscriber.getByLabel('I have cleaned my computer and the other devices on my connection.').check();
    await Promise.all([subscriber.waitForURL('http://example.com/'),
      subscriber.getByRole('button', { name: 'I have cleaned my computer' }).click()]);
    check(await subscriber.locator('h1').innerText() === 'Thank you: your connection is released',
      'subscriber sees the release confirmation');
    await subscriber.screenshot({ path: join(artifacts, '2-released.png'), fullPage: true });
    const alice = incident(aliceId);
    const last = alice.transitions[alice.transitions.length - 1];
    check(alice.state === 'acknowledged', 'store: alice\'s incident is acknowledged');
    check(last.actor === 'alice' && last.actor_kind === 'subscriber' && last.action === 'subscriber_acknowledged',
      'store: the release is audited with actor alice (subscriber)');

    // 2. A subscriber without an incident sees nothing of anyone's.
    const other = await context.newPage();
    watch(other);
    await other.setExtraHTTPHeaders({ 'X-Forwarded-For': '100.64.0.12' });
    await other.goto('http://news.example.org/');
    check(await other.locator('h1').innerText() === 'Nothing to do', 'another subscriber sees the neutral page');
    check(!(await other.content()).includes('onerror'), 'the neutral page shows no evidence');

    // Requests without a session cannot act.
    const forged = await fetch(`${base}/console/incidents/${bobId}/actions`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=release&reason=x&csrf=y', redirect: 'manual' });
    check(forged.status === 403, 'POST an action without a session: 403');

    // 3. The operator logs in, finds bob's incident, reads the evidence and releases it.
    const console_ = await context.newPage();
    watch(console_);
    await console_.setExtraHTTPHeaders({ 'X-Forwarded-For': '10.9.8.7' });
    await console_.goto('http://console.isp.example/console/incidents');
    check(console_.url() === 'http://console.isp.example/console/login', 'no session: redirected to the login page');
    await console_.getByLabel('Name').fill('otto');
    await console_.getByLabel('Password').fill('wrong');
    await console_.getByRole('button', { name: 'Log in' }).click();
    check(await console_.getByRole('alert').innerText() === 'Wrong name or password.', 'wrong password refused');
    await console_.getByLabel('Password').fill('operator-pass');
    await Promise.all([console_.waitForURL('**/console/incidents'), console_.getByRole('button', { name: 'Log in' }).click()]);
    check((await console_.locator('header').innerText()).includes('otto (operator)'), 'operator is logged in');
    await console_.getByLabel('State').selectOption('notified');
    await Promise.all([console_.waitForURL('**/console/incidents?state=notified**'),
      console_.getByRole('button', { name: 'Filter' }).click()]);
    const count = await console_.locator('main > p').first().innerText();
    check(count === '1 incidents.', `filter by state: 1 notified incident (page says "${count}")`);
    await console_.getByRole('link', { name: String(bobId), exact: true }).click();
    check(await console_.locator('h1').innerText() === `Incident ${bobId}`, 'operator opens bob\'s incident');
    check((await console_.locator('section.event code').allInnerTexts()).includes(HOSTILE),
      'the hostile HELO is shown as literal text in the console');
    check(await console_.locator('section.event img').count() === 0, 'no <img> element in the console evidence');
    await console_.screenshot({ path: join(artifacts, '3-console-incident.png'), fullPage: true });
    await console_.getByLabel('Reason (audited)').fill('customer called, ticket 4711');
    await console_.getByRole('button', { name: 'Release', exact: true }).click();
    check(await console_.getByRole('status').innerText() === `incident ${bobId}: notified -> acknowledged`,
      'the console confirms the release');
    await console_.screenshot({ path: join(artifacts, '4-console-released.png'), fullPage: true });
    const bob = incident(bobId);
    const bobLast = bob.transitions[bob.transitions.length - 1];
    check(bob.state === 'acknowledged', 'store: bob\'s incident is acknowledged');
    check(bobLast.actor === 'otto' && bobLast.actor_kind === 'operator' &&
      bobLast.reason.endsWith('customer called, ticket 4711'), 'store: the release is audited with the operator\'s name and reason');

    // 5. The operator opens the report from the console's navigation and sees the
    //    same figures as the ops API's JSON; /metrics carries them as gauges.
    await Promise.all([console_.waitForURL('**/console/report'),
      console_.getByRole('navigation').getByRole('link', { name: 'Report' }).click()]);
    check(await console_.locator('h1').innerText() === 'Bot metrics report', 'the report opens from the console navigation');
    const api = await fetch(`${base}/api/v1/report`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    const report = await api.json();
    check(report.subscriber_base === 3 && report.subscribers_detected === 2 && report.notified === 2,
      `the report counts 3 subscribers, 2 detected, 2 notified (API JSON: ${report.subscriber_base}, ${report.subscribers_detected}, ${report.notified})`);
    const shown = async (figure) => console_.locator(`#figures tr[data-figure="${figure}"][data-label=""] td.value`).innerText();
    for (const figure of ['subscriber_base', 'subscribers_detected', 'notified', 'acknowledged']) {
      check(await shown(figure) === String(report[figure]), `report page shows ${figure} = ${report[figure]}`);
    }
    check(await shown('notified_share') === '100.00 %' && report.notified_share === 1, 'report page shows notified share 100.00 %');
    check(await console_.locator('strong[data-figure="infected_share"]').getAttribute('data-value') === String(report.infected_share),
      `headline infected share is the API's ${report.infected_share}`);
    await console_.screenshot({ path: join(artifacts, '5-console-report.png'), fullPage: true });
    await console_.getByLabel('Period', { exact: true }).selectOption('day');
    await console_.getByLabel('From', { exact: true }).fill('yesterday');
    await console_.getByRole('button', { name: 'Show report' }).click();
    check(await console_.getByRole('alert').innerText() ===
      "from: expected a date (2026-10-01) or an RFC 3339 time, got 'yesterday'", 'a bad date in the period form is refused, naming the field');

    // One batch through the sensors' API (a duplicate of an ingested event), then /metrics.
    const post = await fetch(`${base}/api/v1/events`, {
      method: 'POST', headers: { authorization: 'Bearer browser-sensor-token-0123456789', 'content-type': 'application/json' },
      body: `{"events": [${event(1, '100.64.0.10', 'bad_helo')}]}` });
    check(post.status === 200, 'POST /api/v1/events: 200');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    check(metrics.includes('botwarden_ingest_events_total{result="duplicate"} 1\n'), '/metrics counts the duplicate event');
    const gauge = (name) => (new RegExp(`^botwarden_report_${name}\\{period="[^"]*"\\} (\\S+)$`, 'm').exec(metrics) || [])[1];
    check(gauge('subscriber_base') === String(report.subscriber_base) && gauge('notified') === String(report.notified) &&
      gauge('notified_share') === String(report.notified_share),
      `/metrics report gauges equal the JSON (base ${gauge('subscriber_base')}, notified ${gauge('notified')}, share ${gauge('notified_share')})`);

    check(dialogs.length === 0, 'no script ran (no dialog opened)' + (dialogs.length ? ': ' + dialogs.join(', ') : ''));
  } finally {
    await context.close();
  }
}

let exitCode = 0;
try {
  await main();
} catch (e) {
  console.error('FAIL ' + (e.stack || e));
  failures++;
} finally {
  for (const c of children.reverse()) {
    c.kill('SIGTERM');
    await new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', r)));
  }
  rmSync(work, { recursive: true, force: true });
  exitCode = failures ? 1 : 0;
  console.log(failures ? `${failures} checks failed` : 'all checks passed');
}
process.exit(exitCode);
