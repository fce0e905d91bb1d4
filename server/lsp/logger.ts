/**
 * The server's log, sent to the client as `window/logMessage` (the client's output channel shows
 * it at the level the user chose). Never stdout: with the stdio transport that is the protocol.
 */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export interface LogSink {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  log(message: string): void;
}

export function connectionLogger(sink: LogSink): Logger {
  return {
    error: (message) => sink.error(message),
    warn: (message) => sink.warn(message),
    info: (message) => sink.info(message),
    debug: (message) => sink.log(message),
  };
}
