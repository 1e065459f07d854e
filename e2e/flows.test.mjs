// End-to-end browser tests for Courrier.
//
// Drives Debian's /usr/bin/chromium with playwright-core against a real
// `courrier serve --demo` started on a free port with a fresh data directory
// (harness.mjs, shared with the other browser tests).
//
// Run: cd e2e && node --test flows.test.mjs   (or: bash scripts/test.sh)
//
// Every step is named; a failing step reports "step <name> failed: ...",
// saves a screenshot of the page it was on into e2e/screenshots/, and the
// server's log is kept in e2e/screenshots/server.log.

import { describe, test, before, after } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Courrier, STEP_TIMEOUT_MS, assert, expectPresent, submitAndWait, submitButtonOf } from './harness.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const OUT_DIR = join(here, 'screenshots');
const ANNA = 'anna.meier@helvetia.test';

const courrier = new Courrier(OUT_DIR);
const step = (name, page, fn) => courrier.step(name, page, fn);
const goto = (page, path) => courrier.goto(page, path);
const run = (args, what) => courrier.run(args, what);

// Anna's signed-in browser context, made once and shared by the tests, so
// that a TOTP code is never used twice (the server may refuse a replay).
let annaSession = null;
function signInAnna() {
  annaSession ??= courrier.signIn(ANNA);
  return annaSession;
}

// ------------------------------------------------------------------ tests --

describe('courrier in a browser', () => {
  before(async () => {
    await courrier.start();
  });

  after(async () => {
    // Always runs, also when before() or a test failed.
    await courrier.stop();
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
        new URL(courrier.baseUrl).origin,
        `the invitation link ${invitationUrl} should start with the --public-url ${courrier.baseUrl}`,
      );
    });

    {
      // The invitee: a new browser context, nothing shared with Anna's.
      const context = await courrier.browser.newContext();
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
      const { context, page } = await courrier.signIn(email);
      contexts.push(context);
      return page;
    };
    let itemId;
    try {
      const clerk = await signIn(CLERK);

      await step('make an envelope photo (a screenshot) and a scan PDF', clerk, async () => {
        const shot = await courrier.browser.newPage();
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
      const res = await fetch(`${courrier.baseUrl}/org/users`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(res.status, 200, `GET /org/users with Anna's cookie should answer 200, answered ${res.status}`);
    });

    await step('POST /org/invitations without csrf_token', page, async () => {
      const res = await fetch(`${courrier.baseUrl}/org/invitations`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie,
          origin: courrier.baseUrl,
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
      const res = await fetch(`${courrier.baseUrl}/org/invitations`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie,
          origin: courrier.baseUrl,
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
