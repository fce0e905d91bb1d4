/**
 * The HTML page of the function graph webview: a strict Content-Security-Policy (scripts only
 * with this page's nonce, styles and fonts only from the extension's own files, nothing else),
 * one stylesheet and one script.
 *
 * Pure (no 'vscode'), so the policy is unit-tested; `graphPanel.ts` supplies the webview's URIs.
 */

export interface GraphPageResources {
  /** `webview.cspSource`: the origin the webview serves the extension's files from. */
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  /** A fresh random value per page load. */
  readonly nonce: string;
}

export function contentSecurityPolicy(resources: GraphPageResources): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${resources.nonce}'`,
    `style-src ${resources.cspSource}`,
    `font-src ${resources.cspSource}`,
    `img-src ${resources.cspSource} data:`,
  ].join('; ');
}

export function graphPageHtml(resources: GraphPageResources): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(contentSecurityPolicy(resources))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(resources.styleUri)}">
<title>ElixirScope function graph</title>
</head>
<body>
<div id="app"></div>
<script nonce="${escapeAttribute(resources.nonce)}" src="${escapeAttribute(resources.scriptUri)}"></script>
</body>
</html>
`;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
