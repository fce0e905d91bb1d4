/**
 * The in-editor suite: runs INSIDE the VS Code extension host, against the real extension and its
 * language server, through the VS Code API (the `vscode.execute*Provider` commands go through the
 * same path as the editor's own features). It follows `@vscode/test-electron`'s contract for
 * `extensionTestsPath`: it exports `run(): Promise<void>`, which rejects when a check fails.
 *
 * It expects the fixture project (test/fixtures/e2e-project, copied) as the first workspace folder.
 * Results also go, one record per check, to the JSON file named by ELIXIRSCOPE_E2E_RESULT when that
 * is set: under code-server the extension host's exit code is all the harness sees otherwise.
 *
 * Plain CommonJS (not TypeScript) so that tsc leaves it alone and the unit runner never sees it.
 */
const vscode = require('vscode');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const EXTENSION_ID = 'elixirscope.elixirscope';
const CHECK_TIMEOUT_MS = 60_000;

async function run() {
  const startedAt = Date.now();
  const results = [];
  const resultFile = process.env.ELIXIRSCOPE_E2E_RESULT;
  const writeResults = (extra = {}) => {
    if (!resultFile) return;
    // Written whole and renamed, so the harness never reads half a file.
    fs.writeFileSync(`${resultFile}.tmp`, JSON.stringify({
      vscode: vscode.version, node: process.version, elapsedMs: Date.now() - startedAt, results, ...extra,
    }, null, 2));
    fs.renameSync(`${resultFile}.tmp`, resultFile);
  };

  const check = async (name, body) => {
    const checkStartedAt = Date.now();
    try {
      await withTimeout(body(), CHECK_TIMEOUT_MS, name);
      results.push({ name, ok: true, ms: Date.now() - checkStartedAt });
    } catch (error) {
      results.push({ name, ok: false, ms: Date.now() - checkStartedAt, error: String(error && error.stack || error) });
    }
    const last = results.at(-1);
    console.log(`[elixirscope e2e] ${last.ok ? 'PASS' : 'FAIL'} ${name} (${last.ms} ms)${last.ok ? '' : `: ${last.error.split('\n')[0]}`}`);
    writeResults();
  };

  try {
    await suite(check);
  } catch (error) {
    results.push({ name: 'the suite itself', ok: false, error: String(error && error.stack || error) });
  }
  writeResults({ finished: true });
  const failed = results.filter((result) => !result.ok);
  if (failed.length > 0) {
    throw new Error(`${failed.length} of ${results.length} in-editor checks failed:\n` +
      failed.map((result) => `- ${result.name}: ${result.error}`).join('\n'));
  }
}

async function suite(check) {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  assert.ok(folder, 'no workspace folder is open: open a copy of test/fixtures/e2e-project');
  const file = (relativePath) => vscode.Uri.joinPath(folder.uri, relativePath);
  const shop = file('lib/shop.ex');
  const pricing = file('lib/shop/pricing.ex');
  const cart = file('lib/shop/cart.ex');

  await check('the extension is present and activates', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not loaded`);
    await extension.activate();
    assert.ok(extension.isActive);
  });

  // The first answer also tells that the server has indexed the workspace.
  await check('document symbols of lib/shop/pricing.ex list the module and its functions', async () => {
    const names = await eventually(async () => {
      const symbols = await vscode.commands.executeCommand('vscode.executeDocumentSymbolProvider', pricing);
      const found = flattenSymbols(symbols || []).map((symbol) => symbol.name);
      for (const name of ['Shop.Pricing', 'total', 'apply_coupon', 'line_price']) {
        assert.ok(found.some((found) => found.includes(name)), `no symbol named like ${name} in ${JSON.stringify(found)}`);
      }
      return found;
    });
    console.log(`[elixirscope e2e] symbols: ${JSON.stringify(names)}`);
  });

  await check('hover over Pricing.total(items) shows Shop.Pricing.total/1', async () => {
    const position = await positionOf(shop, 'Pricing.total(', 'Pricing.'.length + 1);
    await eventually(async () => {
      const hovers = await vscode.commands.executeCommand('vscode.executeHoverProvider', shop, position);
      const text = hoverText(hovers || []);
      assert.match(text, /Shop\.Pricing\.total\/1/, `hover text: ${JSON.stringify(text)}`);
    });
  });

  await check('go to definition of Pricing.total(items) lands on def total in pricing.ex', async () => {
    const position = await positionOf(shop, 'Pricing.total(', 'Pricing.'.length + 1);
    const definitionLine = (await positionOf(pricing, 'def total(')).line;
    await eventually(async () => {
      const targets = normalizeLocations(await vscode.commands.executeCommand('vscode.executeDefinitionProvider', shop, position));
      assert.deepEqual(targets.map(where), [`lib/shop/pricing.ex:${definitionLine}`]);
    });
  });

  await check('references of Shop.Pricing.total/1 include both call sites', async () => {
    const position = await positionOf(pricing, 'def total(', 'def '.length + 1);
    const fromShop = `lib/shop.ex:${(await positionOf(shop, 'Pricing.total(')).line}`;
    const fromCart = `lib/shop/cart.ex:${(await positionOf(cart, 'Pricing.total()')).line}`;
    await eventually(async () => {
      const locations = normalizeLocations(await vscode.commands.executeCommand('vscode.executeReferenceProvider', pricing, position));
      const places = locations.map(where);
      assert.ok(places.includes(fromShop) && places.includes(fromCart), `references: ${JSON.stringify(places)}`);
    });
  });

  await check('call hierarchy: total/1 is called from Shop.checkout and Shop.Cart.total', async () => {
    const position = await positionOf(pricing, 'def total(', 'def '.length + 1);
    await eventually(async () => {
      const items = await vscode.commands.executeCommand('vscode.prepareCallHierarchy', pricing, position);
      assert.ok(items && items.length === 1, `prepareCallHierarchy gave ${JSON.stringify(items)}`);
      assert.match(items[0].name, /total/);
      const incoming = await vscode.commands.executeCommand('vscode.provideIncomingCalls', items[0]);
      const callers = (incoming || []).map((call) => `${call.from.name} (${relative(call.from.uri)})`);
      assert.ok(callers.some((caller) => /checkout/.test(caller) && caller.includes('lib/shop.ex')), `incoming: ${JSON.stringify(callers)}`);
      assert.ok(callers.some((caller) => /total/.test(caller) && caller.includes('lib/shop/cart.ex')), `incoming: ${JSON.stringify(callers)}`);
    });
  });

  await check('workspace symbols find apply_coupon', async () => {
    await eventually(async () => {
      const symbols = await vscode.commands.executeCommand('vscode.executeWorkspaceSymbolProvider', 'apply_coupon');
      const places = (symbols || []).map((symbol) => `${symbol.name} ${relative(symbol.location.uri)}`);
      assert.ok(places.some((place) => place.includes('apply_coupon') && place.includes('lib/shop/pricing.ex')), `workspace symbols: ${JSON.stringify(places)}`);
    });
  });

  await check('elixirScope.showNodeIdAtCursor answers for the call under the cursor', async () => {
    const position = await positionOf(shop, 'Pricing.total(', 'Pricing.'.length + 1);
    const editor = await vscode.window.showTextDocument(shop);
    editor.selection = new vscode.Selection(position, position);
    const answer = await vscode.commands.executeCommand('elixirScope.showNodeIdAtCursor');
    // The node at the cursor lies inside the one clause of Shop.checkout/2.
    assert.match(JSON.stringify(answer ?? null), /Shop\.checkout\/2#1/, `the command returned ${JSON.stringify(answer)}`);
  });

  await check('after an edit above it, go to definition follows def total to its new line', async () => {
    const document = await vscode.workspace.openTextDocument(pricing);
    const callPosition = await positionOf(shop, 'Pricing.total(', 'Pricing.'.length + 1);
    const before = (await positionOf(pricing, 'def total(')).line;
    const inserted = '  @doc "Tax in cents, at 20 %."\n  def tax(cents), do: div(cents * 20, 100)\n\n';
    const edit = new vscode.WorkspaceEdit();
    edit.insert(pricing, new vscode.Position(before - 1, 0), inserted); // above the @spec line
    assert.ok(await vscode.workspace.applyEdit(edit), 'applyEdit refused the edit');
    try {
      const after = before + 3;
      assert.match(document.lineAt(after).text, /def total\(/);
      await eventually(async () => {
        const targets = normalizeLocations(await vscode.commands.executeCommand('vscode.executeDefinitionProvider', shop, callPosition));
        assert.deepEqual(targets.map(where), [`lib/shop/pricing.ex:${after}`]);
      });
      // The new function is in the graph too, before the file is saved.
      await eventually(async () => {
        const symbols = await vscode.commands.executeCommand('vscode.executeDocumentSymbolProvider', pricing);
        assert.ok(flattenSymbols(symbols || []).some((symbol) => symbol.name.includes('tax')), 'no symbol for the new tax function');
      });
    } finally {
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    assert.equal(document.isDirty, false, 'the edited document is still dirty after revert');
    await eventually(async () => {
      const targets = normalizeLocations(await vscode.commands.executeCommand('vscode.executeDefinitionProvider', shop, callPosition));
      assert.deepEqual(targets.map(where), [`lib/shop/pricing.ex:${before}`]);
    });
  });

  await check('code lenses over def total show its complexity and its 2 callers', async () => {
    const line = (await positionOf(pricing, 'def total(')).line;
    await eventually(async () => {
      const lenses = await vscode.commands.executeCommand('vscode.executeCodeLensProvider', pricing, 100);
      const titles = (lenses || []).filter((lens) => lens.command).map((lens) => `${lens.range.start.line}: ${lens.command.title}`);
      assert.ok(titles.some((title) => title.startsWith(`${line}: `) && /complexity 1/.test(title) && /2 callers/.test(title)), `code lenses: ${JSON.stringify(titles)}`);
    });
  });

  await check('elixirScope.showFunctionGraph returns both graphs of the clause and opens its panel', async () => {
    const position = await positionOf(shop, 'Pricing.total(', 'Pricing.'.length + 1);
    const editor = await vscode.window.showTextDocument(shop);
    editor.selection = new vscode.Selection(position, position);
    const graph = await vscode.commands.executeCommand('elixirScope.showFunctionGraph');
    assert.ok(graph, `the command returned ${JSON.stringify(graph)}`);
    assert.equal(graph.clause, 'Shop.checkout/2#1');
    assert.ok(graph.cfg.nodes.length > 0 && graph.cfg.edges.length > 0, 'the control-flow graph is empty');
    assert.ok(graph.dfg.nodes.length > 0 && graph.dfg.edges.length > 0, 'the data-flow graph is empty');
    await eventually(async () => {
      const labels = vscode.window.tabGroups.all.flatMap((group) => group.tabs.map((tab) => tab.label));
      assert.ok(labels.some((label) => label.includes('Shop.checkout/2#1')), `tabs: ${JSON.stringify(labels)}`);
    }, 10_000);
  });

  await check('an unused variable typed into catalog.ex gets a warning that goes when it is undone', async () => {
    const catalog = file('lib/shop/catalog.ex');
    const document = await vscode.workspace.openTextDocument(catalog);
    await vscode.window.showTextDocument(document);
    const ours = () => vscode.languages.getDiagnostics(catalog).filter((diagnostic) => /ElixirScope/i.test(diagnostic.source || ''));
    // The fixture compiles without warnings, so the graph reports nothing either.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(ours().map((diagnostic) => diagnostic.message), []);
    const lastEnd = document.getText().lastIndexOf('end');
    const edit = new vscode.WorkspaceEdit();
    edit.insert(catalog, document.positionAt(lastEnd), '\n  def describe(sku) do\n    cents = price(sku)\n    sku\n  end\n');
    assert.ok(await vscode.workspace.applyEdit(edit), 'applyEdit refused the edit');
    try {
      await eventually(async () => {
        const found = ours().map((diagnostic) => `${diagnostic.range.start.line}: ${diagnostic.message}`);
        const cents = (await positionOf(catalog, 'cents = price')).line;
        assert.ok(found.some((text) => text.startsWith(`${cents}: `) && /cents/.test(text) && /unused/.test(text)), `diagnostics: ${JSON.stringify(found)}`);
      }, 20_000);
    } finally {
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    await eventually(async () => assert.deepEqual(ours().map((diagnostic) => diagnostic.message), []), 20_000);
  });

  await check('elixirScope.reindex runs and the graph still answers', async () => {
    await vscode.commands.executeCommand('elixirScope.reindex');
    const position = await positionOf(shop, 'Pricing.total(', 'Pricing.'.length + 1);
    await eventually(async () => {
      const hovers = await vscode.commands.executeCommand('vscode.executeHoverProvider', shop, position);
      assert.match(hoverText(hovers || []), /Shop\.Pricing\.total\/1/);
    });
  });

  function relative(uri) {
    return path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/');
  }

  function where(location) {
    return `${relative(location.uri)}:${location.range.start.line}`;
  }
}

/** Flattens DocumentSymbol trees (or SymbolInformation lists) to { name, kind }. */
function flattenSymbols(symbols) {
  const flat = [];
  const visit = (symbol) => {
    flat.push({ name: symbol.name, kind: symbol.kind });
    for (const child of symbol.children || []) visit(child);
  };
  symbols.forEach(visit);
  return flat;
}

function hoverText(hovers) {
  return hovers.flatMap((hover) => hover.contents)
    .map((content) => (typeof content === 'string' ? content : content.value))
    .join('\n');
}

/** Location | LocationLink (or arrays of them) as { uri, range }. */
function normalizeLocations(result) {
  const list = result === undefined || result === null ? [] : Array.isArray(result) ? result : [result];
  return list.map((item) => ('targetUri' in item
    ? { uri: item.targetUri, range: item.targetSelectionRange || item.targetRange }
    : { uri: item.uri, range: item.range }));
}

async function positionOf(uri, needle, offset = 0) {
  const document = await vscode.workspace.openTextDocument(uri);
  const index = document.getText().indexOf(needle);
  assert.ok(index >= 0, `${needle} not found in ${uri.fsPath}`);
  return document.positionAt(index + offset);
}

/** Retries `body` until it stops throwing: the server answers once its index is ready. */
async function eventually(body, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await body();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}

function withTimeout(promise, milliseconds, name) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: timed out after ${milliseconds} ms`)), milliseconds);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

module.exports = { run };
