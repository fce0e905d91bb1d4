/**
 * Phase UI: ElixirScope installed from its VSIX into a fresh code-server, the fixture project open
 * in a real workbench in headless Chromium, and checks of what a user sees on screen: the index
 * state in the status bar, hovers (keyboard and mouse), Go to Symbol, and the commands from the
 * palette (node ID notification, graph query, function graph panel).
 *
 * Needs `bash test/e2e/setup.sh` once, and `npm run package` (which `npm run test:e2e` runs).
 * Screenshots go to .cache/e2e/shots/ui-<check>.png, failures to ui-<check>-fail.png.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  EXTENSION_ID, SHOTS, VSIX, checkSetup, copyFixture, failureReport, installExtension, launchBrowser,
  log, positionOf, prepareInstance, sleep, startCodeServer, stopCodeServer,
} from './harness.mjs';

const instanceDirectory = prepareInstance('ui');
let server = null;
let browser = null;
let page = null;
let workspace = null;

/** Runs one on-screen check; a failure carries a screenshot and the logs. */
async function onScreen(name, body) {
  try {
    await body();
    await page.screenshot({ path: path.join(SHOTS, `ui-${name}.png`) });
    log(`screenshot ${path.join(SHOTS, `ui-${name}.png`)}`);
  } catch (error) {
    const screenshot = path.join(SHOTS, `ui-${name}-fail.png`);
    let saved = null;
    if (page) saved = await page.screenshot({ path: screenshot }).then(() => screenshot, () => null);
    if (page) error = new Error(`${error?.message ?? error}\non screen: ${await screenState()}`, { cause: error });
    throw failureReport(`ui: ${name}`, error, {
      screenshot: saved, instanceDirectory, codeServerLog: server?.logFile,
    });
  }
}

/** Closes whatever quick input is open and waits until it has gone (it fades out). */
async function closeQuickInput() {
  await page.keyboard.press('Escape');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
}

async function quickOpen(text, rowText) {
  await closeQuickInput();
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(text);
  if (rowText) {
    // Enter takes the focused row; until the filter has run, that is the most recent file.
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: rowText }).first().waitFor({ timeout: 15_000 });
  }
  await page.keyboard.press('Enter');
}

async function openFile(relativePath) {
  const name = path.basename(relativePath);
  await quickOpen(relativePath, name);
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 15_000 });
  await page.locator('.editor-instance .view-lines').first().waitFor({ timeout: 15_000 });
}

/** Puts the cursor at a 0-based position through "Go to Line/Column" (`:line:column`). */
async function goTo({ line, character }) {
  await quickOpen(`:${line + 1}:${character + 1}`);
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
}

/** Runs a command from the palette (F1) by its title. */
async function runCommand(title) {
  await closeQuickInput();
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: title }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/** The text of a notification toast once it has finished sliding in. */
async function toastText(text, timeout = 20_000) {
  const toast = page.locator('.notification-toast', { hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout });
  await page.waitForFunction((element) => {
    const style = getComputedStyle(element);
    return style.opacity === '1' && (style.transform === 'none' || style.transform === 'matrix(1, 0, 0, 1, 0, 0)');
  }, await toast.elementHandle(), { timeout: 5_000 }).catch(() => {});
  return (await toast.innerText()).replace(/\s+/g, ' ').trim();
}

async function visibleTexts(selector) {
  return page.locator(selector).evaluateAll((nodes) =>
    nodes.filter((node) => node.offsetParent !== null).map((node) => node.innerText.replace(/\s+/g, ' ').trim()));
}

/** What is on screen, in a line, for failure messages. */
async function screenState() {
  try {
    const state = {
      activeTab: await visibleTexts('.tabs-container .tab.active'),
      quickInput: await page.locator('.quick-input-widget input').evaluateAll((inputs) =>
        inputs.filter((input) => input.offsetParent !== null).map((input) => input.value)),
      quickInputRows: (await visibleTexts('.quick-input-list .monaco-list-row')).slice(0, 10),
      notifications: await visibleTexts('.notification-toast'),
      hovers: await visibleTexts('.monaco-hover'),
      statusBar: await statusBarTexts(),
    };
    return JSON.stringify(state);
  } catch (error) {
    return `(could not read the screen: ${error.message})`;
  }
}

async function statusBarTexts() {
  return page.locator('.statusbar-item').evaluateAll((items) =>
    items.map((item) => item.innerText.replace(/\s+/g, ' ').trim()).filter((text) => text.length > 0));
}

describe('ElixirScope in a real VS Code workbench (installed from the VSIX)', { timeout: 600_000 }, () => {
  before(async () => {
    try {
      checkSetup();
      assert.ok(fs.existsSync(VSIX), `${VSIX} is missing: run \`npm run package\` first`);
      workspace = copyFixture(instanceDirectory);
      log(installExtension(instanceDirectory, VSIX).split('\n').filter((line) => /install/i.test(line)).join(' | '));
      assert.ok(
        fs.readdirSync(path.join(instanceDirectory, 'ext')).some((name) => name.startsWith(`${EXTENSION_ID}-`)),
        `${EXTENSION_ID} is not in the extensions dir after --install-extension`,
      );
      server = await startCodeServer(instanceDirectory, { workspace });
      ({ page, context: browser } = await launchBrowser(instanceDirectory));
      const url = `${server.baseUrl}/?folder=${encodeURIComponent(workspace)}`;
      log('goto', url);
      await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      // The Explorer lists the workspace only once the workbench is connected to the server.
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'mix.exs' }).waitFor({ timeout: 60_000 });
      log('workbench loaded, explorer lists mix.exs');
      await openFile('lib/shop.ex');
    } catch (error) {
      const screenshot = path.join(SHOTS, 'ui-startup-fail.png');
      const saved = page ? await page.screenshot({ path: screenshot }).then(() => screenshot, () => null) : null;
      throw failureReport('ui: start-up', error, { screenshot: saved, instanceDirectory, codeServerLog: server?.logFile });
    }
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await stopCodeServer(server);
  });

  test('the status bar shows the index reaching ready with a file count', { timeout: 120_000 }, async () => {
    await onScreen('status-bar', async () => {
      const sourceFileCount = fs.readdirSync(workspace, { recursive: true })
        .filter((name) => /\.exs?$/.test(name) && !name.startsWith('.elixirscope')).length;
      let seen = [];
      const deadline = Date.now() + 90_000;
      let ready = null;
      while (Date.now() < deadline && ready === null) {
        seen = await statusBarTexts();
        ready = seen.map((text) => /ElixirScope\b\W*(\d+) files?\b/.exec(text)).find(Boolean) ?? null;
        if (ready === null) await sleep(500);
      }
      assert.ok(ready, `no status bar item reads "ElixirScope … N files" after 90 s; items seen: ${JSON.stringify(seen)}`);
      log(`status bar: ${ready[0]}`);
      assert.equal(Number(ready[1]), sourceFileCount, `status bar counts ${ready[1]} files, the workspace has ${sourceFileCount} .ex/.exs files`);
    });
  });

  test('hover over a remote call shows the function id', { timeout: 60_000 }, async () => {
    await onScreen('hover', async () => {
      await openFile('lib/shop.ex');
      // `subtotal = Pricing.total(items)`: the cursor on `total`.
      await goTo(positionOf(path.join(workspace, 'lib/shop.ex'), 'Pricing.total(', 'Pricing.'.length + 1));
      const hover = page.locator('.monaco-hover', { hasText: 'Shop.Pricing.total/1' }).first();
      // Ctrl+K Ctrl+I: "Show or Focus Hover" at the cursor. The server may still be indexing the
      // first time round, so ask again until the hover carries the id.
      const deadline = Date.now() + 45_000;
      let shown = false;
      while (!shown && Date.now() < deadline) {
        await page.keyboard.press('Control+K');
        await page.keyboard.press('Control+I');
        shown = await hover.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false);
        if (!shown) await page.keyboard.press('Escape');
      }
      const visibleHovers = await page.locator('.monaco-hover').evaluateAll((nodes) =>
        nodes.filter((node) => node.offsetParent !== null).map((node) => node.innerText.replace(/\s+/g, ' ').trim()));
      assert.ok(shown, `no hover containing "Shop.Pricing.total/1"; hovers on screen: ${JSON.stringify(visibleHovers)}`);
      const text = (await hover.innerText()).replace(/\s+/g, ' ').trim();
      log('hover:', text);
      // The node under the cursor: a node of the one clause of Shop.checkout/2.
      assert.match(text, /Shop\.checkout\/2#1:[\d.]+/, `the hover shows no node ID: ${JSON.stringify(text)}`);
    });
  });

  test('a HEEx template opens in the HEEx language mode, not as Elixir', { timeout: 60_000 }, async () => {
    await onScreen('heex', async () => {
      await openFile('lib/shop_web/cart.html.heex');
      const mode = page.locator('.statusbar-item', { hasText: /^HEEx$/ }).first();
      const shown = await mode.waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, () => false);
      assert.ok(shown, `the status bar shows no "HEEx" language mode; items: ${JSON.stringify(await statusBarTexts())}`);
    });
  });

  test('Go to Symbol in Editor lists the module and its functions', { timeout: 60_000 }, async () => {
    await onScreen('symbols', async () => {
      await openFile('lib/shop/pricing.ex');
      await page.keyboard.press('Control+Shift+O');
      await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 15_000 });
      const rows = page.locator('.quick-input-list .monaco-list-row');
      const expected = ['Shop.Pricing', 'total', 'apply_coupon', 'line_price'];
      const deadline = Date.now() + 30_000;
      let labels = [];
      while (Date.now() < deadline) {
        labels = await rows.evaluateAll((nodes) => nodes.map((node) => node.innerText.replace(/\s+/g, ' ').trim()));
        if (expected.every((name) => labels.some((label) => label.includes(name)))) break;
        await sleep(500);
      }
      const message = await page.locator('.quick-input-message').innerText().catch(() => '');
      const missing = expected.filter((name) => !labels.some((label) => label.includes(name)));
      assert.deepEqual(missing, [], `Go to Symbol lacks ${JSON.stringify(missing)}; rows: ${JSON.stringify(labels)}; message: ${JSON.stringify(message)}`);
      log('symbols:', JSON.stringify(labels));
    });
    await closeQuickInput();
  });

  test('F12 on a remote call goes to the definition in the other file', { timeout: 60_000 }, async () => {
    await onScreen('definition', async () => {
      await openFile('lib/shop.ex');
      await goTo(positionOf(path.join(workspace, 'lib/shop.ex'), 'Pricing.total(', 'Pricing.'.length + 1));
      await page.keyboard.press('F12');
      await page.locator('.tabs-container .tab.active', { hasText: 'pricing.ex' }).waitFor({ timeout: 20_000 });
      const definitionLine = positionOf(path.join(workspace, 'lib/shop/pricing.ex'), 'def total(').line + 1;
      // The status bar's cursor item reads "Ln 8, Col 3".
      const cursorItem = page.locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ }).first();
      await page.waitForFunction(([element, line]) => element.innerText.startsWith(`Ln ${line},`),
        [await cursorItem.elementHandle(), definitionLine], { timeout: 10_000 })
        .catch(async () => assert.fail(`the cursor is at ${await cursorItem.innerText()}, not on line ${definitionLine} (def total)`));
      log('definition:', await cursorItem.innerText());
    });
  });

  test('moving the mouse over a call shows its hover', { timeout: 60_000 }, async () => {
    await onScreen('mouse-hover', async () => {
      await openFile('lib/shop.ex');
      // `items = Cart.items(cart)`: put the cursor there to learn where the token is drawn.
      await goTo(positionOf(path.join(workspace, 'lib/shop.ex'), 'Cart.items(', 'Cart.'.length));
      await page.keyboard.press('Escape');
      const cursor = await page.locator('.editor-instance .cursors-layer .cursor').first().boundingBox();
      assert.ok(cursor, 'no editor cursor on screen');
      const hover = page.locator('.monaco-hover', { hasText: 'Shop.Cart.items/1' }).first();
      let shown = false;
      for (let attempt = 0; attempt < 5 && !shown; attempt++) {
        await page.mouse.move(cursor.x + 200, cursor.y + 200);
        await page.mouse.move(cursor.x + 6, cursor.y + cursor.height / 2, { steps: 4 });
        shown = await hover.waitFor({ state: 'visible', timeout: 4_000 }).then(() => true, () => false);
      }
      assert.ok(shown, `no hover containing "Shop.Cart.items/1" under the mouse; hovers on screen: ${JSON.stringify(await visibleTexts('.monaco-hover'))}`);
      log('mouse hover:', (await hover.innerText()).replace(/\s+/g, ' ').trim());
    });
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
  });

  test('"ElixirScope: Show Node ID at Cursor" shows the node ID in a notification', { timeout: 60_000 }, async () => {
    await onScreen('node-id', async () => {
      await openFile('lib/shop.ex');
      await goTo(positionOf(path.join(workspace, 'lib/shop.ex'), 'Pricing.total(', 'Pricing.'.length + 1));
      await runCommand('ElixirScope: Show Node ID at Cursor');
      const text = await toastText('Shop.checkout/2#1:');
      log('toast:', text);
      assert.match(text, /Shop\.checkout\/2#1:[\d.]+/);
    });
    await page.locator('.notification-toast .codicon-notifications-clear, .notification-toast .codicon-close').first().click().catch(() => {});
  });

  test('"ElixirScope: Run Graph Query…" lists the callers of a function', { timeout: 60_000 }, async () => {
    await onScreen('query', async () => {
      await runCommand('ElixirScope: Run Graph Query');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      await input.fill('{"callers": "Shop.Pricing.total/1"}');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'callers' }).first().waitFor({ timeout: 15_000 });
      await page.keyboard.press('Enter');
      // The answer is a list of places, offered in a second quick pick.
      const deadline = Date.now() + 20_000;
      let rows = [];
      while (Date.now() < deadline) {
        rows = await visibleTexts('.quick-input-list .monaco-list-row');
        if (rows.some((row) => row.includes('checkout')) && rows.some((row) => /Cart/.test(row))) break;
        await sleep(300);
      }
      log('query answer:', JSON.stringify(rows));
      assert.ok(rows.some((row) => row.includes('checkout')) && rows.some((row) => /Cart/.test(row)),
        `the callers of Shop.Pricing.total/1 are Shop.checkout/2 and Shop.Cart.total/1; the quick pick shows ${JSON.stringify(rows)}; notifications: ${JSON.stringify(await visibleTexts('.notification-toast'))}`);
    });
    await closeQuickInput();
  });

  test('"ElixirScope: Show Function Graph" opens the graph of the clause', { timeout: 60_000 }, async () => {
    await onScreen('function-graph', async () => {
      await openFile('lib/shop.ex');
      await goTo(positionOf(path.join(workspace, 'lib/shop.ex'), 'Pricing.total(', 'Pricing.'.length + 1));
      await runCommand('ElixirScope: Show Function Graph');
      await page.locator('.tabs-container .tab', { hasText: 'Shop.checkout/2#1' }).waitFor({ timeout: 20_000 });
      const view = page.frameLocator('iframe.webview.ready').first().frameLocator('#active-frame');
      await view.locator('svg').first().waitFor({ state: 'visible', timeout: 20_000 });
      const text = (await view.locator('body').innerText()).replace(/\s+/g, ' ').trim();
      log('graph panel:', text.slice(0, 200));
      assert.match(text, /checkout|Pricing\.total|subtotal/, `the graph panel shows ${JSON.stringify(text.slice(0, 500))}`);
    });
  });
});
