// The browser tests' shared harness: a real `courrier serve --demo` on a free
// port with a fresh data directory, Debian's Chromium through playwright-core,
// named steps that leave a screenshot when they fail, and the sign-in of the
// demo people.
//
// Builds nothing: it uses the debug binary that `cargo build -p courrier`
// made (scripts/test.sh does that first), or E2E_COURRIER_BIN when set.

import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';

const here = fileURLToPath(new URL('.', import.meta.url));
export const BIN = process.env.E2E_COURRIER_BIN
  ? resolve(process.env.E2E_COURRIER_BIN)
  : resolve(here, '..', 'target', 'debug', 'courrier');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const DEMO_PASSWORD = 'courrier-demo';
export const STEP_TIMEOUT_MS = 20_000;
const HEALTH_TIMEOUT_MS = Number(process.env.E2E_HEALTH_TIMEOUT_MS || 60_000);

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

function slug(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

/**
 * A demo Courrier and a Chromium for one test file. `outDir` receives the
 * server's log and the screenshots of failed steps (emptied first).
 */
export class Courrier {
  constructor(outDir) {
    this.outDir = outDir;
    this.serverLog = join(outDir, 'server.log');
    this.server = null;
    this.serverExit = null;
    this.tail = [];
    this.dataDir = null;
    this.baseUrl = null;
    this.browser = null;
    this.failed = false;
  }

  note(line) {
    this.tail.push(line);
    if (this.tail.length > 60) this.tail.shift();
  }

  serverLogTail() {
    return this.tail.length
      ? `\n--- last lines of the server's output (full log: ${this.serverLog}) ---\n${this.tail.join('\n')}`
      : `\n(the server printed nothing; log: ${this.serverLog})`;
  }

  /** Runs `courrier <args>` against nothing but the data directory. */
  run(args, what) {
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
  async totpCode(email) {
    const { stdout, stderr } = await this.run(['user', 'totp-code', '--data-dir', this.dataDir, email], 'TOTP code');
    const lines = stdout.trim().split('\n').map((l) => l.trim()).filter(Boolean);
    const code = lines.at(-1) ?? '';
    if (!/^\d{6}$/.test(code)) {
      throw new Error(`\`courrier user totp-code\` should print a 6-digit code on stdout, printed:\nstdout: ${JSON.stringify(stdout)}\nstderr: ${stderr}`);
    }
    return code;
  }

  /**
   * Runs one named step. On failure: screenshot of `page` (if given) and an
   * error that names the step, the page's URL and the server's last lines.
   */
  async step(name, page, fn) {
    try {
      return await fn();
    } catch (e) {
      this.failed = true;
      let where = '';
      if (page && !page.isClosed()) {
        where = `\n(page was ${page.url()})`;
        const shot = join(this.outDir, `failed-${slug(name)}.png`);
        try {
          await page.screenshot({ path: shot, fullPage: true, timeout: 5_000 });
          where += `\n(screenshot: ${shot})`;
        } catch {
          // the page may be gone; the error below is what matters
        }
      }
      const err = new Error(`step "${name}" failed: ${e.message}${where}${this.serverLogTail()}`);
      err.cause = e;
      throw err;
    }
  }

  async waitForHealth() {
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.serverExit) {
        throw new Error(`the server exited (code ${this.serverExit.code}, signal ${this.serverExit.signal}) before GET /healthz answered 200${this.serverLogTail()}`);
      }
      try {
        const res = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (res.status === 200) return;
        last = `status ${res.status}`;
      } catch (e) {
        last = e.cause?.code ?? e.message;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`GET ${this.baseUrl}/healthz did not answer 200 within ${HEALTH_TIMEOUT_MS / 1000} s (last: ${last})${this.serverLogTail()}`);
  }

  /** Starts the server and Chromium (for `before`). */
  async start() {
    rmSync(this.outDir, { recursive: true, force: true }); // artifacts of this run only
    mkdirSync(this.outDir, { recursive: true });
    if (!existsSync(BIN)) {
      throw new Error(`no courrier binary at ${BIN}: run \`cargo build -p courrier\` first (scripts/test.sh does)`);
    }
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (scripts/test.sh does)`);
    }
    // Whatever happens (a crash, Ctrl-C), never leave the server behind.
    process.on('exit', () => this.kill());
    for (const sig of ['SIGINT', 'SIGTERM']) {
      process.on(sig, () => {
        this.kill();
        process.exit(130);
      });
    }

    this.dataDir = mkdtempSync(join(tmpdir(), 'courrier-e2e-'));
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;

    await this.step('start `courrier serve --demo`', null, async () => {
      const log = createWriteStream(this.serverLog);
      const args = ['serve', '--demo', '--listen', `127.0.0.1:${port}`, '--data-dir', this.dataDir, '--public-url', this.baseUrl];
      log.write(`$ ${BIN} ${args.join(' ')}\n`);
      const server = spawn(BIN, args, {
        env: { ...process.env, COURRIER_LOG: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.server = server;
      server.on('error', (e) => {
        this.note(`spawn error: ${e.message}`);
        this.serverExit ??= { code: null, signal: null };
      });
      server.on('exit', (code, signal) => {
        this.serverExit = { code, signal };
      });
      for (const stream of [server.stdout, server.stderr]) {
        let rest = '';
        stream.on('data', (chunk) => {
          log.write(chunk);
          const lines = (rest + chunk.toString()).split('\n');
          rest = lines.pop();
          lines.forEach((l) => this.note(l));
        });
      }
      await this.waitForHealth();
    });

    await this.step('launch Chromium', null, async () => {
      this.browser = await chromium.launch({
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
  }

  kill() {
    if (this.server && !this.serverExit) {
      try {
        this.server.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** Stops Chromium and the server (for `after`; also when `start` failed). */
  async stop() {
    await this.browser?.close().catch(() => {});
    if (this.server && !this.serverExit) {
      const exited = new Promise((r) => this.server.once('exit', r));
      this.server.kill('SIGTERM');
      let timer;
      const timeout = new Promise((r) => {
        timer = setTimeout(r, 10_000, 'timeout');
      });
      const outcome = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        this.server.kill('SIGKILL');
        await exited;
      }
    }
    if (this.dataDir) {
      if (this.failed) {
        console.error(`# kept the server's data directory for a look: ${this.dataDir}`);
      } else {
        rmSync(this.dataDir, { recursive: true, force: true });
      }
    }
  }

  async goto(page, path) {
    const res = await page.goto(`${this.baseUrl}${path}`);
    if (!res) throw new Error(`no response for GET ${path}`);
    if (res.status() >= 400) throw new Error(`GET ${path} answered ${res.status()}`);
    return res;
  }

  /**
   * A new browser context signed in as the demo person `email`: password,
   * then the TOTP code when the server asks for one. Returns { context, page }.
   */
  async signIn(email) {
    const context = await this.browser.newContext();
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    await this.step(`sign in as ${email}`, page, async () => {
      await this.goto(page, '/login');
      await expectPresent(page, 'input[name=email]', 'the login form');
      await page.fill('input[name=email]', email);
      await page.fill('input[name=password]', DEMO_PASSWORD);
      await submitAndWait(page, await submitButtonOf(page, page, 'input[name=password]'));
      if (new URL(page.url()).pathname === '/login/2fa') {
        await expectPresent(page, 'input[name=code]', 'the 2FA code field');
        const code = await this.totpCode(email); // right before typing it
        await page.fill('input[name=code]', code);
        await submitAndWait(page, await submitButtonOf(page, page, 'input[name=code]'));
      }
      await expectPresent(page, '[data-testid=dashboard]', `the dashboard of ${email}`);
    });
    return { context, page };
  }
}

/**
 * Clicks `target` (a button that submits a form; or calls it, when it is a
 * function that submits one) and waits for the resulting page:
 * the last response of the navigation (after redirects) must not be an
 * error status, and the new page must have loaded.
 */
export async function submitAndWait(page, target) {
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
export async function submitButtonOf(page, scope, field) {
  const inForm = scope.locator('form').filter({ has: page.locator(field) }).locator('button[type=submit]');
  if ((await inForm.count()) === 1) return inForm;
  const any = scope.locator('button[type=submit]');
  if ((await any.count()) === 1) return any;
  throw new Error(`expected exactly one button[type=submit] in the <form> that holds ${field} (found ${await inForm.count()}; ${await any.count()} in the whole scope)`);
}

export async function expectPresent(page, selector, what) {
  try {
    await page.locator(selector).first().waitFor({ state: 'attached', timeout: STEP_TIMEOUT_MS });
  } catch {
    throw new Error(`expected ${selector} (${what}) on ${page.url()}, it is not there`);
  }
}

/** Switches the signed-in page's language with the header's language form. */
export async function switchLanguage(page, locale) {
  // Set the value without a change event (app.js submits the form on change)
  // and submit once.
  await submitAndWait(page, () =>
    page.locator('form#lang-form').evaluate((f, l) => {
      f.querySelector('select[name=locale]').value = l;
      f.requestSubmit();
    }, locale),
  );
  assert.equal(await page.getAttribute('html', 'lang'), locale, `after switching, the page should have html[lang=${locale}]`);
}

export { assert };
