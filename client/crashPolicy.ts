/**
 * What to do when the language server's connection closes unexpectedly: restart it, but not
 * forever. Pure (no 'vscode'), so the counting is unit-tested; `languageClient.ts` turns the
 * decision into the language client's `CloseAction` and the messages the user sees.
 */

export type CrashDecision =
  /** Restart, and tell the user (the first crash of this policy's lifetime). */
  | 'restart-and-notify'
  /** Restart quietly: the user was told already, the log has the details. */
  | 'restart'
  /** Too many crashes in the window: stop, and say so once. */
  | 'give-up';

/** Returns a function to call at each crash with the current time in milliseconds. */
export function createCrashPolicy(maximumRestarts: number, windowMs: number): (now: number) => CrashDecision {
  const crashes: number[] = [];
  let notified = false;
  return (now) => {
    crashes.push(now);
    while (crashes.length > 0 && now - crashes[0]! > windowMs) crashes.shift();
    if (crashes.length > maximumRestarts) return 'give-up';
    if (notified) return 'restart';
    notified = true;
    return 'restart-and-notify';
  };
}
