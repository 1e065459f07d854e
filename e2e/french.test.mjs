// The French walk: every demo person, in French, through the pages the flows
// visit, their role's navigation and the pages those link to, and the public
// pages before signing in. Fails on any visible text that is an English
// catalogue message (crates/i18n/locales/en/*.ftl) whose French
// (locales/fr/*.ftl) differs: a word the page forgot to translate.
//
// Run: cd e2e && node --test french.test.mjs   (or: bash scripts/test.sh)
// The findings, page by page, are also written to e2e/screenshots-french/french-walk.json.

import { describe, test, before, after } from 'node:test';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Courrier, assert, submitAndWait, submitButtonOf, switchLanguage } from './harness.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const LOCALES = join(here, '..', 'crates', 'i18n', 'locales');
const OUT_DIR = join(here, 'screenshots-french');
const MAX_PAGES_PER_PERSON = Number(process.env.E2E_FRENCH_MAX_PAGES || 40);

// Every demo person (crates/app/src/demo.rs), one of each role.
const PEOPLE = [
  ['admin@courrier.test', 'platform admin'],
  ['anna.meier@helvetia.test', 'customer admin, with 2FA'],
  ['luc.favre@helvetia.test', 'approver'],
  ['sara.rossi@helvetia.test', 'member'],
  ['marie.dupont@dupont.test', 'mailbox customer admin'],
  ['olivier.blanc@mc-lausanne.test', 'mail-center owner'],
  ['nadia.keller@mc-lausanne.test', 'mail-center manager'],
  ['tom.schmid@mc-lausanne.test', 'mail-center clerk'],
];

// The pages flows.test.mjs visits; each person sees those their role may.
const FLOW_PAGES = ['/', '/org/users', '/letters/new', '/letters', '/org/letters', '/center/intake', '/center/tasks', '/center/pickups', '/mail', '/mail/setup', '/account'];
// What a visitor sees before signing in.
const PUBLIC_PAGES = ['/login', '/password-reset', '/signup'];

// ------------------------------------------------------------- catalogues --

/**
 * The single-line messages `key = value` of one language's catalogues.
 * Messages that continue on the next lines (selectors, multi-line text) and
 * attributes are left out.
 */
function catalogue(lang) {
  const dir = join(LOCALES, lang);
  const messages = new Map();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ftl')).sort()) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const m = line.match(/^([A-Za-z][\w-]*)\s*=\s*(.*)$/);
      if (!m) return;
      const value = m[2].trim();
      const next = lines[i + 1] ?? '';
      if (value === '' || /^\s+\S/.test(next)) return; // continues below
      messages.set(m[1], { value, file: `crates/i18n/locales/${lang}/${file}`, line: i + 1 });
    });
  }
  return messages;
}

const squash = (s) => s.replace(/\s+/g, ' ').trim();
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The English messages a French page must not show, each with a test of a
 * piece of visible text: the whole text equals the message, its `{ … }`
 * placeables standing for anything. Left out: messages shorter than 4
 * characters (without placeables), selectors, messages the same in French,
 * and English text that is also some French message (a page showing it may
 * be right).
 */
function englishOnly() {
  const en = catalogue('en');
  const fr = catalogue('fr');
  const frValues = new Set([...fr.values()].map((m) => squash(m.value)));
  const out = [];
  for (const [key, msg] of en) {
    const french = fr.get(key);
    const value = squash(msg.value);
    if (!french || squash(french.value) === value || frValues.has(value)) continue;
    if (value.includes('->')) continue;
    const parts = value.split(/\{[^{}]*\}/);
    if (parts.join('').replace(/\s+/g, '').length < 4) continue;
    let matches;
    if (parts.length === 1) {
      matches = (text) => text === value;
    } else {
      const re = new RegExp(`^${parts.map((p) => escapeRe(p)).join('.+?')}$`, 's');
      matches = (text) => re.test(text);
    }
    out.push({ key, value, where: `${msg.file}:${msg.line}`, matches });
  }
  return out;
}

// ------------------------------------------------------------------ pages --

/** The visible text of the page: text nodes, button values and placeholders, squashed. */
function visibleTexts(page) {
  return page.evaluate(() => {
    const shown = (el) => {
      if (!el) return false;
      if (el.closest('option, optgroup')) el = el.closest('select') ?? el;
      return typeof el.checkVisibility === 'function'
        ? el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })
        : el.offsetParent !== null;
    };
    const texts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const parent = n.parentElement;
      if (!parent || parent.closest('script, style, noscript, template')) continue;
      const text = n.nodeValue.replace(/\s+/g, ' ').trim();
      if (text && shown(parent)) texts.push(text);
    }
    for (const el of document.querySelectorAll('input[type=submit], input[type=button], [placeholder]')) {
      if (!shown(el)) continue;
      const text = (el.matches('[placeholder]') ? el.getAttribute('placeholder') : el.value) ?? '';
      if (text.trim()) texts.push(text.replace(/\s+/g, ' ').trim());
    }
    return texts;
  });
}

/** Same-origin page links of the page, without query or fragment. */
function pageLinks(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('a[href]')]
      .map((a) => new URL(a.getAttribute('href'), location.href))
      .filter((u) => u.origin === location.origin)
      .map((u) => u.pathname),
  );
}

/** A path with its ids replaced, so one page of each kind is visited. */
function pattern(path) {
  return path
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ':id')
    .replace(/\/\d+(?=\/|$)/g, '/:n');
}

function skipped(path) {
  return (
    path.startsWith('/api/') ||
    path.startsWith('/static/') ||
    path === '/logout' ||
    /\.[a-z0-9]{2,4}$/i.test(path) || // files: .pdf, .png, .csv, …
    /\/(envelope|preview|scan|download)$/.test(path)
  );
}

// ------------------------------------------------------------------ tests --

describe('courrier in French', () => {
  const courrier = new Courrier(OUT_DIR);
  const english = englishOnly();
  const findings = []; // { who, page, text, key, where }
  const visits = {}; // who → the pages walked

  /**
   * Visits `paths`, then the pages they link to, until `max` pages; records
   * the English text of each. A page the person may not see (4xx), a file
   * download or a page that is not HTML is passed over.
   */
  async function walk(who, page, paths, max) {
    const seen = new Set();
    const queue = [...paths];
    let visited = 0;
    while (queue.length && visited < max) {
      const path = queue.shift();
      const kind = pattern(path);
      if (seen.has(kind) || skipped(path)) continue;
      seen.add(kind);
      let res;
      try {
        res = await page.goto(`${courrier.baseUrl}${path}`);
      } catch {
        continue; // a download, or a page that went away
      }
      if (!res || res.status() >= 400 || !(res.headers()['content-type'] ?? '').includes('text/html')) continue;
      const landed = new URL(page.url()).pathname;
      if (landed !== path && seen.has(pattern(landed)) && landed !== '/') continue;
      visited += 1;
      (visits[who] ??= []).push(landed);
      assert.equal(await page.getAttribute('html', 'lang'), 'fr', `${who}: ${path} is not in French (html[lang])`);
      for (const text of new Set(await visibleTexts(page))) {
        for (const msg of english) {
          if (msg.matches(text)) findings.push({ who, page: landed, text, key: msg.key, where: msg.where });
        }
      }
      for (const link of await pageLinks(page)) {
        if (!seen.has(pattern(link))) queue.push(link);
      }
    }
    return visited;
  }

  before(async () => {
    await courrier.start();
  });

  after(async () => {
    writeFileSync(join(OUT_DIR, 'french-walk.json'), JSON.stringify({ findings, visits }, null, 2));
    await courrier.stop();
  });

  test('the catalogues give English-only messages to look for', () => {
    assert.ok(english.length > 100, `only ${english.length} English-only messages parsed from ${LOCALES}`);
  });

  test('the check sees English: the login page in English is caught', { timeout: 60_000 }, async () => {
    const context = await courrier.browser.newContext({ locale: 'en-GB', extraHTTPHeaders: { 'Accept-Language': 'en-GB,en;q=0.9' } });
    try {
      const page = await context.newPage();
      await courrier.step('read the English login page', page, async () => {
        await courrier.goto(page, '/login');
        const texts = new Set(await visibleTexts(page));
        const caught = english.filter((msg) => [...texts].some((t) => msg.matches(t)));
        assert.ok(caught.length >= 3, `only ${caught.length} English messages found on the English /login: ${[...texts].join(' | ')}`);
      });
    } finally {
      await context.close();
    }
  });

  test('the public pages show no English to a French visitor', { timeout: 120_000 }, async () => {
    const context = await courrier.browser.newContext({ locale: 'fr-CH', extraHTTPHeaders: { 'Accept-Language': 'fr-CH,fr;q=0.9' } });
    try {
      const page = await context.newPage();
      await courrier.step('walk the public pages', page, async () => {
        const visited = await walk('visitor', page, PUBLIC_PAGES, PUBLIC_PAGES.length);
        assert.ok(visited >= 1, 'no public page could be visited');
      });
    } finally {
      await context.close();
    }
  });

  for (const [email, role] of PEOPLE) {
    test(`${email} (${role}) sees no English in French`, { timeout: 300_000 }, async () => {
      const { context, page } = await courrier.signIn(email);
      try {
        await courrier.step(`${email}: switch to French`, page, async () => {
          await switchLanguage(page, 'fr');
        });
        if (email === 'anna.meier@helvetia.test') {
          // The demo has no letter: upload one as flows.test.mjs does, so the
          // walk sees a letter's page (quote, status, preview) too.
          await courrier.step(`${email}: upload a letter`, page, async () => {
            const pdf = join(OUT_DIR, 'sample-letter.pdf');
            await courrier.run(['sample-pdf', pdf, '--letters', '1'], 'sample PDF');
            await courrier.goto(page, '/letters/new');
            await page.setInputFiles('#upload-form input[name=file]', pdf);
            await page.selectOption('#upload-form select[name=envelope]', 'c5');
            await page.fill('#upload-form input[name=reference]', 'E2E-FR-1');
            await submitAndWait(page, await submitButtonOf(page, page.locator('#upload-form'), 'input[name=file]'));
            assert.match(new URL(page.url()).pathname, /^\/letters\/[0-9a-f-]{36}$/, `after the upload the page should be /letters/<id>, is ${page.url()}`);
          });
        }
        await courrier.step(`${email}: walk the pages`, page, async () => {
          const nav = await page.evaluate(() => [...document.querySelectorAll('header nav a[href]')].map((a) => a.getAttribute('href')));
          const here = new URL(page.url()).pathname; // a new letter's page, for Anna
          const start = [here, '/', ...nav.filter((h) => h.startsWith('/')), ...FLOW_PAGES];
          const visited = await walk(email, page, start, MAX_PAGES_PER_PERSON);
          assert.ok(visited >= 2, `${email}: only ${visited} page(s) visited`);
        });
      } finally {
        await context.close();
      }
    });
  }

  test('no English catalogue text on any page walked in French', () => {
    const byText = new Map();
    for (const f of findings) {
      const k = `${JSON.stringify(f.text)} (${f.key}, ${f.where})`;
      const pages = byText.get(k) ?? new Set();
      pages.add(`${f.page} [${f.who}]`);
      byText.set(k, pages);
    }
    const report = [...byText].map(([k, pages]) => `  ${k}\n    on ${[...pages].join(', ')}`).join('\n');
    assert.equal(byText.size, 0, `English on French pages (${byText.size} texts; also in ${join(OUT_DIR, 'french-walk.json')}):\n${report}`);
  });
});
