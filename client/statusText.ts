/**
 * What the status bar item says for each state of the index and of the language client.
 *
 * Pure (no 'vscode'), so the wording is unit-tested and the end-to-end test can rely on every
 * text containing `ElixirScope`.
 */
import type { IndexStatus } from '../common/lspProtocol';

export interface StatusPresentation {
  /** With a leading `$(codicon)`; always contains `ElixirScope`. */
  readonly text: string;
  readonly tooltip: string;
  /** Failures get the error background, so they are noticed without a popup. */
  readonly isError: boolean;
}

/** Before the server has said anything, or while it starts (again). */
export function startingPresentation(): StatusPresentation {
  return { text: '$(sync~spin) ElixirScope: starting', tooltip: 'The ElixirScope language server is starting. Click to show the log.', isError: false };
}

/** The client stopped for good: start failure, or too many crashes. */
export function stoppedPresentation(reason: string): StatusPresentation {
  return { text: '$(error) ElixirScope', tooltip: `${reason} Click to show the log.`, isError: true };
}

export function indexStatusPresentation(status: IndexStatus): StatusPresentation {
  switch (status.state) {
    case 'starting':
      return startingPresentation();
    case 'indexing': {
      const progress = status.total > 0 ? ` ${status.done}/${status.total}` : '';
      return {
        text: `$(sync~spin) ElixirScope: indexing${progress}`,
        tooltip: withMessage('Building the code property graph.', status.message),
        isError: false,
      };
    }
    case 'ready':
      return {
        text: `$(check) ElixirScope: ${status.files} ${status.files === 1 ? 'file' : 'files'}`,
        tooltip: withMessage(`The code property graph holds ${status.files} ${status.files === 1 ? 'file' : 'files'}.`, status.message),
        isError: false,
      };
    case 'failed':
      return { text: '$(error) ElixirScope', tooltip: withMessage('Indexing failed.', status.message), isError: true };
  }
}

function withMessage(summary: string, message: string): string {
  const detail = message.trim();
  return detail === '' ? `${summary} Click to show the log.` : `${summary}\n${detail}\nClick to show the log.`;
}
