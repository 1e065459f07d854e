// End-to-end browser tests for Courrier.
//
// Drives Debian's /usr/bin/chromium with playwright-core against a real
// `courrier serve --demo` started on a free port with a fresh data directory.
// Builds nothing: it uses the debug binary that `cargo build -p courrier`
// made (scripts/test.sh does that first), or E2E_COURRIER_BIN when set.
//
// Run: cd e2e && node --test flows.test.mjs   (or: bash scripts/test.sh)
//
// Every step is named; a failing step reports "step <name> failed: ...",
// saves a screenshot of the page it was on into e2e/screenshots/, and the
// server's log is kept in e2e/screenshots/server.log.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';

const here = fileURLToPath(new URL('.', import.meta.url));
const BIN = process.env.E2E_COURRIER_BIN
  ? resolve(process.env.E2E_COURRIER_BIN)
  : resolve(here, '..', 'target', 'debug', 'courrier');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const OUT_DIR = join(here, 'screenshots');
const SERVER_LOG = join(OUT_DIR, 'server.log');

const ANNA = 'anna.meier@helvetia.test';
const ANNA_PASSWORD = 'courrier-demo';
const HEALTH_TIMEOUT_MS = Number(process.env.E2E_HEALTH_TIMEOUT_MS || 60_000);
const STEP_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------- harness --

let server = null; // ChildProcess
let serverExit = null; // { code, signal } once it has exited
let serverTail = []; // last lines of the server's output
let dataDir = null;
let baseUrl = null;
let browser = null;
let failed = false;

function note(line) {
  serverTail.push(line);
  if (serverTail.length > 60) serverTail.shift();
}

function serverLogTail() {
  return serverTail.length
    ? `\n--- last lines of the server's output (full log: ${SERVER_LOG}) ---\n${serverTail.join('\n')}`
    : `\n(the server printed nothing; log: ${SERVER_LOG})`;
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

function run(args, what) {
  return new Promise((ok, fail) => {
    execFile(BIN, args, { env: { ...process.env, COURRIER_LOG: 'warn' }, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) {
        fail(new Error(`${what}: \`courrier ${args.join(' ')}\` failed (${err.message.split('\n')[0]})\nstdout: ${stdout}\nstderr: ${stderr}`));
      } else {
        ok({ stdout, stderr });
      }
    });
  });
}

/** The current TOTP code for `email`, from `courrier user totp-code`. */
async function totpCode(email) {
  const { stdout, stderr } = await run(['user', 'totp-code', '--data-dir', dataDir, email], 'TOTP code');
  const lines = stdout.trim().split('\n').map((l) => l.trim()).filter(Boolean);
  const code = lines.at(-1) ?? '';
  if (!/^\d{6}$/.test(code)) {
    throw new Error(`\`courrier user totp-code\` should print a 6-digit code on stdout, printed:\nstdout: ${JSON.stringify(stdout)}\nstderr: ${stderr}`);
  }
  return code;
}

async function waitForHealth() {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (serverExit) {
      throw new Error(`the server exited (code ${serverExit.code}, signal ${serverExit.signal}) before GET /healthz answered 200${serverLogTail()}`);
    }
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (e) {
      last = e.cause?.code ?? e.message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`GET ${baseUrl}/healthz did not answer 200 within ${HEALTH_TIMEOUT_MS / 1000} s (last: ${last})${serverLogTail()}`);
}

function stopServer() {
  if (server && !serverExit) {
    try {
      server.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
// Whatever happens (a crash, Ctrl-C), never leave the server behind.
process.on('exit', stopServer);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopServer();
    process.exit(130);
  });
}

async function stopServerGracefully() {
  if (!server || serverExit) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  let timer;
  const timeout = new Promise((r) => {
    timer = setTimeout(r, 10_000, 'timeout');
  });
  const outcome = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    server.kill('SIGKILL');
    await exited;
  }
}

function slug(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

/**
 * Runs one named step. On failure: screenshot of `page` (if given) and an
 * error that names the step, the page's URL and the server's last lines.
 */
async function step(name, page, fn) {
  try {
    return await fn();
  } catch (e) {
    failed = true;
    let where = '';
    if (page && !page.isClosed()) {
      where = `\n(page was ${page.url()})`;
      const shot = join(OUT_DIR, `failed-${slug(name)}.png`);
      try {
        await page.screenshot({ path: shot, fullPage: true, timeout: 5_000 });
        where += `\n(screenshot: ${shot})`;
      } catch {
        // the page may be gone; the error below is what matters
      }
    }
    const err = new Error(`step "${name}" failed: ${e.message}${where}${serverLogTail()}`);
    err.cause = e;
    throw err;
  }
}

/**
 * Clicks `target` (a button that submits a form; or calls it, when it is a
 * function that submits one) and waits for the resulting page:
 * the last response of the navigation (after redirects) must not be an
 * error status, and the new page must have loaded.
 */
async function submitAndWait(page, target) {
  const navResponse = page.waitForResponse(
    (r) =>
      r.request().isNavigationRequest() &&
      r.frame() === page.mainFrame() &&
      !(r.status() >= 300 && r.status() < 400 && r.status() !== 304),
    { timeout: STEP_TIMEOUT_MS },
  );
  await (typeof target === 'function' ? target() : target.click());
  const res = await navResponse;
  await page.waitForLoadState('load');
  if (res.status() >= 400) {
    const body = (await page.textContent('body').catch(() => '')) ?? '';
    throw new Error(`${res.request().method()} ${res.url()} answered ${res.status()}: ${body.trim().slice(0, 300)}`);
  }
  return res;
}

/** The one submit button of the form on `scope` that contains `field`. */
async function submitButtonOf(page, scope, field) {
  const inForm = scope.locator('form').filter({ has: page.locator(field) }).locator('button[type=submit]');
  if ((await inForm.count()) === 1) return inForm;
  const any = scope.locator('button[type=submit]');
  if ((await any.count()) === 1) return any;
  throw new Error(`expected exactly one button[type=submit] in the <form> that holds ${field} (found ${await inForm.count()}; ${await any.count()} in the whole scope)`);
}

async function expectPresent(page, selector, what) {
  try {
    await page.locator(selector).first().waitFor({ state: 'attached', timeout: STEP_TIMEOUT_MS });
  } catch {
    throw new Error(`expected ${selector} (${what}) on ${page.url()}, it is not there`);
  }
}

async function goto(page, path) {
  const res = await page.goto(`${baseUrl}${path}`);
  if (!res) throw new Error(`no response for GET ${path}`);
  if (res.status() >= 400) throw new Error(`GET ${path} answered ${res.status()}`);
  return res;
}

// Anna's signed-in browser context, made once and shared by the tests, so
// that a TOTP code is never used twice (the server may refuse a replay).
let annaSession = null;
function signInAnna() {
  annaSession ??= (async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();

    await step('open /login', page, async () => {
      await goto(page, '/login');
      await expectPresent(page, 'input[name=email]', 'the login form');
    });

    await step('submit e-mail and password', page, async () => {
      await page.fill('input[name=email]', ANNA);
      await page.fill('input[name=password]', ANNA_PASSWORD);
      await submitAndWait(page, await submitButtonOf(page, page, 'input[name=password]'));
      const path = new URL(page.url()).pathname;
      assert.equal(path, '/login/2fa', `after the password the page should be /login/2fa, is ${page.url()}`);
    });

    await step('submit the TOTP code', page, async () => {
      await expectPresent(page, 'input[name=code]', 'the 2FA code field');
      const code = await totpCode(ANNA); // right before typing it
      await page.fill('input[name=code]', code);
      await submitAndWait(page, await submitButtonOf(page, page, 'input[name=code]'));
      await expectPresent(page, '[data-testid=dashboard]', 'the dashboard after signing in');
    });

    return { context, page };
  })();
  return annaSession;
}

// ------------------------------------------------------------------ tests --

describe('courrier in a browser', () => {
  before(async () => {
    rmSync(OUT_DIR, { recursive: true, force: true }); // artifacts of this run only
    mkdirSync(OUT_DIR, { recursive: true });
    if (!existsSync(BIN)) {
      throw new Error(`no courrier binary at ${BIN}: run \`cargo build -p courrier\` first (scripts/test.sh does)`);
    }
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (scripts/test.sh does)`);
    }

    dataDir = mkdtempSync(join(tmpdir(), 'courrier-e2e-'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;

    await step('start `courrier serve --demo`', null, async () => {
      const log = createWriteStream(SERVER_LOG);
      const args = ['serve', '--demo', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--public-url', baseUrl];
      log.write(`$ ${BIN} ${args.join(' ')}\n`);
      server = spawn(BIN, args, {
        env: { ...process.env, COURRIER_LOG: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      server.on('error', (e) => {
        note(`spawn error: ${e.message}`);
        serverExit ??= { code: null, signal: null };
      });
      server.on('exit', (code, signal) => {
        serverExit = { code, signal };
      });
      for (const stream of [server.stdout, server.stderr]) {
        let rest = '';
        stream.on('data', (chunk) => {
          log.write(chunk);
          const lines = (rest + chunk.toString()).split('\n');
          rest = lines.pop();
          lines.forEach(note);
        });
      }
      await waitForHealth();
    });

    await step('launch Chromium', null, async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    });
  });

  after(async () => {
    // Always runs, also when before() or a test failed.
    await browser?.close().catch(() => {});
    await stopServerGracefully();
    if (dataDir) {
      if (failed) {
        console.error(`# kept the server's data directory for a look: ${dataDir}`);
      } else {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });

  test('sign in with TOTP, invite a member, accept, change role, switch language', { timeout: 180_000 }, async () => {
    const { page } = await signInAnna();
    const invitee = `e2e-${Date.now()}@helvetia.test`;
    let invitationUrl;

    await step('invite a member on /org/users', page, async () => {
      await goto(page, '/org/users');
      await expectPresent(page, '#invite-form', 'the invitation form');
      await page.fill('#invite-form input[name=email]', invitee);
      await page.selectOption('#invite-form select[name=role]', 'member');
      await submitAndWait(page, await submitButtonOf(page, page.locator('#invite-form'), 'input[name=email]'));
      await expectPresent(page, 'a#invitation-link', 'the link of the new invitation');
      const href = await page.getAttribute('a#invitation-link', 'href');
      assert.ok(href, 'a#invitation-link has no href');
      invitationUrl = new URL(href, page.url());
      assert.equal(
        invitationUrl.origin,
        new URL(baseUrl).origin,
        `the invitation link ${invitationUrl} should start with the --public-url ${baseUrl}`,
      );
    });

    {
      // The invitee: a new browser context, nothing shared with Anna's.
      const context = await browser.newContext();
      context.setDefaultTimeout(STEP_TIMEOUT_MS);
      const guest = await context.newPage();
      try {
        await step('open the invitation link in a new browser context', guest, async () => {
          const res = await guest.goto(invitationUrl.href);
          if (!res || res.status() >= 400) throw new Error(`GET ${invitationUrl} answered ${res?.status()}`);
          await expectPresent(guest, 'input[name=password]', 'the invitation acceptance form');
        });
        await step('fill name and password and accept', guest, async () => {
          await guest.fill('input[name=name]', 'E2E Person');
          await guest.fill('input[name=password]', 'a-long-password-1');
          await submitAndWait(guest, await submitButtonOf(guest, guest, 'input[name=password]'));
          await expectPresent(guest, '[data-testid=invitation-accepted]', 'the confirmation that the invitation was accepted');
        });
      } finally {
        await context.close();
      }
    }

    const row = `tr[data-email="${invitee}"]`;

    await step('the new member is listed on /org/users', page, async () => {
      await goto(page, '/org/users');
      await expectPresent(page, row, `the row of ${invitee}`);
    });

    await step('change the new member\'s role to approver', page, async () => {
      await page.selectOption(`${row} select[name=role]`, 'approver');
      await submitAndWait(page, await submitButtonOf(page, page.locator(row), 'select[name=role]'));
      await goto(page, '/org/users');
      await expectPresent(page, row, `the row of ${invitee}`);
      const role = await page.inputValue(`${row} select[name=role]`);
      assert.equal(role, 'approver', `after saving, the role of ${invitee} should be approver, is ${role}`);
    });

    await step('switch the language to French', page, async () => {
      if ((await page.locator('form#lang-form select[name=locale]').count()) > 0) {
        await page.selectOption('form#lang-form select[name=locale]', 'fr');
        const buttons = page.locator('form#lang-form button[type=submit], form#lang-form input[type=submit]');
        if ((await buttons.count()) >= 1) {
          await submitAndWait(page, buttons.first());
        } else {
          await submitAndWait(page, () => page.locator('form#lang-form').evaluate((f) => f.requestSubmit()));
        }
      } else if ((await page.locator('button[data-locale=fr]').count()) > 0) {
        await submitAndWait(page, page.locator('button[data-locale=fr]').first());
      } else {
        throw new Error('found neither form#lang-form select[name=locale] nor button[data-locale=fr]');
      }
      await expectPresent(page, 'html[lang=fr]', 'the page in French after switching');
      await goto(page, '/org/users');
      const lang = await page.getAttribute('html', 'lang');
      assert.equal(lang, 'fr', `the chosen language should stick: /org/users has html[lang=${lang}]`);
    });

    await step('at 1280 px wide, in French, the navigation holds on one line', page, async () => {
      await page.setViewportSize({ width: 1280, height: 800 });
      await goto(page, '/');
      await expectPresent(page, 'html[lang=fr]', 'the page in French');
      const links = await page.locator('header.top nav a').evaluateAll((as) =>
        as.map((a) => {
          const r = a.getBoundingClientRect();
          const style = getComputedStyle(a);
          return {
            text: a.textContent.trim(),
            top: Math.round(r.top),
            height: Math.round(r.height),
            line: Math.round(parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5),
            padding: Math.round(parseFloat(style.paddingTop) + parseFloat(style.paddingBottom)),
          };
        }),
      );
      assert.ok(links.length >= 5, `expected the signed-in navigation, found ${JSON.stringify(links)}`);
      const [first] = links;
      for (const link of links) {
        assert.equal(link.height, first.height, `every nav item is one line high like "${first.text}": ${JSON.stringify(link)}`);
        assert.equal(link.top, first.top, `every nav item is on the first row of the bar: ${JSON.stringify(link)}`);
        assert.ok(link.height <= link.line + link.padding + 2, `"${link.text}" is taller than one line: ${JSON.stringify(link)}`);
      }
      const nav = await page.locator('header.top nav').evaluate((n) => ({ scroll: n.scrollWidth, client: n.clientWidth }));
      assert.ok(nav.scroll <= nav.client + 1, `the navigation overflows its bar: ${JSON.stringify(nav)}`);
      const who = await page.locator('header.top .who').boundingBox();
      assert.ok(who && who.y < first.top + first.height, `the account corner stays on the bar's line: ${JSON.stringify(who)}`);
      await page.screenshot({ path: join(OUT_DIR, 'nav-fr-1280.png') });
    });

    await step('screenshot of /org/users', page, async () => {
      await page.screenshot({ path: join(OUT_DIR, 'users.png'), fullPage: true });
    });
  });

  test('send a letter: upload a PDF, check the address read from the window, submit, see it accepted', { timeout: 180_000 }, async () => {
    const { page } = await signInAnna();
    const pdf = join(OUT_DIR, 'sample-letter.pdf');
    let letterId;

    await step('write a sample letter with `courrier sample-pdf`', null, async () => {
      await run(['sample-pdf', pdf, '--letters', '1'], 'sample PDF');
      assert.ok(existsSync(pdf), `courrier sample-pdf should write ${pdf}`);
    });

    await step('open /letters/new', page, async () => {
      await goto(page, '/letters/new');
      await expectPresent(page, '#upload-form input[type=file][name=file]', 'the upload form');
      await page.screenshot({ path: join(OUT_DIR, 'letter-new.png'), fullPage: true });
    });

    await step('upload the PDF as a draft', page, async () => {
      await page.setInputFiles('#upload-form input[name=file]', pdf);
      await page.selectOption('#upload-form select[name=envelope]', 'c5');
      await page.fill('#upload-form input[name=reference]', 'E2E-LETTER-1');
      await submitAndWait(page, await submitButtonOf(page, page.locator('#upload-form'), 'input[name=file]'));
      const path = new URL(page.url()).pathname;
      const m = path.match(/^\/letters\/([0-9a-f-]{36})$/);
      assert.ok(m, `after the upload the page should be /letters/<id>, is ${page.url()}`);
      letterId = m[1];
    });

    await step('the detail page shows the recipient, the quote and the preview', page, async () => {
      await expectPresent(page, '#recipient', 'the recipient read from the window');
      const recipient = (await page.textContent('#recipient')) ?? '';
      assert.ok(recipient.includes('Boulangerie Dupont') && recipient.includes('1003 Lausanne'), `the recipient should be read from the window, is ${JSON.stringify(recipient)}`);
      const total = (await page.textContent('#price-total')) ?? '';
      assert.match(total, /CHF \d+\.\d\d/, `the quote should show a price, shows ${JSON.stringify(total)}`);
      await expectPresent(page, '#letter-status[data-status=draft]', 'the draft status');
      await expectPresent(page, '.preview .window-zone', 'the window overlay');
      await page.waitForFunction(() => {
        const img = document.querySelector('.preview img');
        return img && img.complete && img.naturalWidth > 0;
      }, null, { timeout: STEP_TIMEOUT_MS });
      await page.screenshot({ path: join(OUT_DIR, 'letter-draft.png'), fullPage: true });
    });

    await step('submit the letter', page, async () => {
      await submitAndWait(page, page.locator('#submit-form button[type=submit]'));
      await expectPresent(page, '#letter-status[data-status=accepted]', 'the accepted status after submitting');
    });

    await step('the list shows the letter accepted', page, async () => {
      await goto(page, '/letters');
      await expectPresent(page, `tr[data-id="${letterId}"] [data-status=accepted]`, 'the letter, accepted, in the list');
      await page.screenshot({ path: join(OUT_DIR, 'letters.png'), fullPage: true });
    });

    await step('the letter settings page', page, async () => {
      await goto(page, '/org/letters');
      await expectPresent(page, 'form#letter-settings input[name=retention_days]', 'the retention field');
      await page.screenshot({ path: join(OUT_DIR, 'letter-settings.png'), fullPage: true });
    });
  });

  test('mailbox loop: intake with an envelope photo, scan request, scan upload, OCR, search, pickup with ID check, scan retention', { timeout: 240_000 }, async () => {
    const CLERK = 'tom.schmid@mc-lausanne.test';
    const MARIE = 'marie.dupont@dupont.test';
    const photo = join(OUT_DIR, 'envelope.png');
    const scanPdf = join(OUT_DIR, 'scan.pdf');
    const contexts = [];
    const signIn = async (email) => {
      const context = await browser.newContext();
      contexts.push(context);
      context.setDefaultTimeout(STEP_TIMEOUT_MS);
      const page = await context.newPage();
      await step(`sign in as ${email}`, page, async () => {
        await goto(page, '/login');
        await page.fill('input[name=email]', email);
        await page.fill('input[name=password]', ANNA_PASSWORD);
        await submitAndWait(page, await submitButtonOf(page, page, 'input[name=password]'));
        await expectPresent(page, '[data-testid=dashboard]', `the dashboard of ${email}`);
      });
      return page;
    };
    let itemId;
    try {
      const clerk = await signIn(CLERK);

      await step('make an envelope photo (a screenshot) and a scan PDF', clerk, async () => {
        const shot = await browser.newPage();
        try {
          await shot.setViewportSize({ width: 360, height: 220 });
          await shot.setContent('<body style="margin:0;background:#f5ecd7;font:16px serif"><div style="position:absolute;left:180px;top:110px">Boulangerie Dupont SàRL<br>Rue de Bourg 12<br>1003 Lausanne</div><div style="position:absolute;right:12px;top:12px;width:40px;height:50px;background:#c33"></div></body>');
          await shot.screenshot({ path: photo });
        } finally {
          await shot.close();
        }
        await run(['sample-pdf', scanPdf, '--letters', '1'], 'sample PDF');
        assert.ok(existsSync(photo) && existsSync(scanPdf));
      });

      await step('the clerk logs an item for Boulangerie Dupont with the envelope photo', clerk, async () => {
        await goto(clerk, '/center/intake?q=Dupont');
        await expectPresent(clerk, 'input#envelope-photo[accept="image/*"][capture=environment]', 'the camera input');
        const radio = clerk.locator('label.recipient', { hasText: 'Boulangerie Dupont' }).locator('input[type=radio]').first();
        await radio.check();
        await clerk.setInputFiles('#envelope-photo', photo);
        await clerk.selectOption('#i-kind', 'letter');
        await clerk.selectOption('#i-format', 'a4');
        await clerk.fill('#i-weight', '25');
        await clerk.fill('#i-sender', 'Assurances E2E SA');
        await submitAndWait(clerk, clerk.locator('#intake-form button[type=submit]'));
        await expectPresent(clerk, '#intake-result[data-received=true]', 'the item received');
        itemId = await clerk.getAttribute('#intake-result', 'data-item');
        assert.match(itemId ?? '', /^[0-9a-f-]{36}$/, `the new item's id, got ${itemId}`);
        await clerk.screenshot({ path: join(OUT_DIR, 'center-intake.png'), fullPage: true });
      });

      const marie = await signIn(MARIE);

      await step('Marie sees the item with its envelope thumbnail and asks for a scan', marie, async () => {
        await goto(marie, '/mail');
        const row = `tr[data-id="${itemId}"]`;
        await expectPresent(marie, `${row} td.thumb img`, 'the envelope thumbnail');
        await marie.waitForFunction((sel) => {
          const img = document.querySelector(sel);
          return img && img.complete && img.naturalWidth > 0;
        }, `${row} td.thumb img`, { timeout: STEP_TIMEOUT_MS });
        await marie.check(`${row} input[name=item]`);
        await marie.selectOption('#bulk-action', 'scan');
        await submitAndWait(marie, marie.locator('#bulk-form button[type=submit]'));
        await expectPresent(marie, `#action-results li[data-item="${itemId}"][data-ok=true]`, 'the scan asked');
        const text = (await marie.textContent('#action-results')) ?? '';
        assert.ok(text.includes('CHF 0.80'), `the scan fee should be shown, results: ${text}`);
        await marie.screenshot({ path: join(OUT_DIR, 'mailbox.png'), fullPage: true });
      });

      await step('the clerk uploads the scan from the task queue', clerk, async () => {
        await goto(clerk, '/center/tasks');
        const row = `tr[data-item="${itemId}"][data-action=scan]`;
        await expectPresent(clerk, row, 'the scan task');
        await clerk.setInputFiles(`${row} input[type=file][name=file]`, scanPdf);
        await submitAndWait(clerk, clerk.locator(`${row} button[type=submit]`));
        await expectPresent(clerk, '#task-done', 'the task done');
      });

      await step('the OCR job runs and Marie finds the letter by a word inside it', marie, async () => {
        const deadline = Date.now() + 60_000;
        for (;;) {
          await goto(marie, '/mail?q=Invoice');
          if ((await marie.locator(`tr[data-id="${itemId}"]`).count()) > 0) break;
          if (Date.now() > deadline) throw new Error('searching "Invoice" did not find the scanned item within 60 s');
          await new Promise((r) => setTimeout(r, 1_500));
        }
        await expectPresent(marie, `tr[data-id="${itemId}"] .snippet mark`, 'the highlighted word');
        await marie.screenshot({ path: join(OUT_DIR, 'mailbox-search.png'), fullPage: true });
      });

      await step('the item page embeds the scan; Marie keeps the paper original for pickup', marie, async () => {
        await goto(marie, `/mail/${itemId}`);
        await expectPresent(marie, '#scan-viewer iframe.scan', 'the scan viewer');
        await expectPresent(marie, '#ocr-text', 'the recognised text');
        await expectPresent(marie, '.action-form[data-action=paper_original]', 'the paper original action');
        await submitAndWait(marie, marie.locator('.action-form[data-action=hold_for_pickup] button[type=submit]'));
        await expectPresent(marie, '#action-results li[data-ok=true]', 'the hold asked');
        await marie.screenshot({ path: join(OUT_DIR, 'mail-item.png'), fullPage: true });
      });

      await step('the clerk shelves it and hands it over with the ID check', clerk, async () => {
        await goto(clerk, '/center/tasks');
        const row = `tr[data-item="${itemId}"][data-action=hold_for_pickup]`;
        await expectPresent(clerk, row, 'the hold task');
        await submitAndWait(clerk, clerk.locator(`${row} button[type=submit]`));
        await goto(clerk, '/center/pickups');
        const customer = await clerk.locator('#p-customer option', { hasText: 'Boulangerie Dupont' }).first().getAttribute('value');
        await clerk.selectOption('#p-customer', customer);
        await submitAndWait(clerk, clerk.locator('#pickup-customer button[type=submit]'));
        await clerk.check(`label.pickup-item[data-item="${itemId}"] input`);
        await clerk.fill('#p-doc', 'identity card');
        await clerk.fill('#p-digits', '4821');
        await clerk.fill('#p-fees', '0');
        await submitAndWait(clerk, clerk.locator('#pickup-form button[type=submit]'));
        await expectPresent(clerk, '#pickup-done', 'the pickup recorded');
        await clerk.screenshot({ path: join(OUT_DIR, 'center-pickup.png'), fullPage: true });
      });

      await step('Marie sees the item picked up, with the ID check in its chain of custody', marie, async () => {
        await goto(marie, `/mail/${itemId}`);
        await expectPresent(marie, '#item-state[data-state=picked_up]', 'the picked-up state');
        const custody = (await marie.textContent('#custody')) ?? '';
        assert.ok(custody.includes('4821'), `the ID check should be in the chain of custody: ${custody}`);
      });

      await step('Marie sets how long scans are kept, and a bad value is answered on the page', marie, async () => {
        await goto(marie, '/mail/setup');
        await expectPresent(marie, '#scan-retention input#scan-days', 'the scan retention form');
        // The browser's own check (min=1) would stop 0: bypass it to see the server's answer.
        await marie.locator('#scan-retention form').evaluate((f) => f.setAttribute('novalidate', ''));
        await marie.fill('#scan-days', '0');
        const bad = marie.waitForResponse((r) => r.url().endsWith('/mail/setup/retention'));
        await marie.locator('#scan-retention button[type=submit]').click();
        assert.equal((await bad).status(), 422);
        await marie.waitForLoadState('load');
        await expectPresent(marie, '.flash.error', 'the refusal on the page');
        await marie.fill('#scan-days', '90');
        await submitAndWait(marie, marie.locator('#scan-retention button[type=submit]'));
        await expectPresent(marie, '#setup-flash', 'the saved message');
        assert.equal(await marie.inputValue('#scan-days'), '90');
        await marie.screenshot({ path: join(OUT_DIR, 'mail-setup-retention.png'), fullPage: true });
      });
    } finally {
      for (const c of contexts) await c.close().catch(() => {});
    }
  });

  test('a POST to /org/invitations without csrf_token is refused with 403', { timeout: 120_000 }, async () => {
    const { context, page } = await signInAnna();
    let cookie;

    await step('take Anna\'s session cookie', page, async () => {
      const cookies = await context.cookies();
      assert.ok(cookies.length > 0, 'Anna\'s browser context has no cookies after signing in');
      cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      // Control: the cookie alone is a valid session.
      const res = await fetch(`${baseUrl}/org/users`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(res.status, 200, `GET /org/users with Anna's cookie should answer 200, answered ${res.status}`);
    });

    await step('POST /org/invitations without csrf_token', page, async () => {
      const res = await fetch(`${baseUrl}/org/invitations`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie,
          origin: baseUrl,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ email: `e2e-csrf-${Date.now()}@helvetia.test`, role: 'member' }).toString(),
      });
      assert.equal(res.status, 403, `expected 403 for a POST without csrf_token, got ${res.status}`);
    });

    await step('the same POST with the form\'s csrf_token is accepted', page, async () => {
      // Shows that the 403 above came from the missing token, not from
      // anything else about the request.
      await goto(page, '/org/users');
      const field = page.locator('#invite-form input[name=csrf_token]');
      if ((await field.count()) !== 1) throw new Error('#invite-form has no input[name=csrf_token]');
      const token = await field.inputValue();
      const res = await fetch(`${baseUrl}/org/invitations`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie,
          origin: baseUrl,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          csrf_token: token,
          email: `e2e-csrf-ok-${Date.now()}@helvetia.test`,
          role: 'member',
        }).toString(),
      });
      assert.ok(res.status < 400, `the POST with the form's csrf_token should succeed, got ${res.status}`);
    });
  });
});
