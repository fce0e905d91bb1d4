/**
 * Composition root of the language-server process (`dist/server.js`): a JSON-RPC connection over
 * stdio (or whatever transport the client names on the command line) and the server on it.
 */
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { startServer } from './server';

const connection = createConnection(ProposedFeatures.all);
// With the stdio transport, stdout is the protocol: a stray console.log would corrupt it.
console.log = (...parts: unknown[]) => connection.console.log(parts.map(String).join(' '));
console.info = console.log;
console.warn = (...parts: unknown[]) => connection.console.warn(parts.map(String).join(' '));
console.error = (...parts: unknown[]) => connection.console.error(parts.map(String).join(' '));
process.on('uncaughtException', (error) => connection.console.error(`uncaught: ${error.stack ?? error.message}`));
process.on('unhandledRejection', (reason) => connection.console.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
startServer(connection);
