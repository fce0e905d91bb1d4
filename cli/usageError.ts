/** A wrong command line: the CLI prints the message with a pointer to `--help` and exits 2. */
export class UsageError extends Error {}
