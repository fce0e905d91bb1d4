/**
 * The recorder's socket side, run in a worker thread so that reading the agent's socket never
 * waits for the trace writer: it listens on a loopback port, checks each connection's `hello`,
 * splits the byte stream into frames and passes them, still encoded, to the writer on the main
 * thread through a `RingBuffer` on a SharedArrayBuffer (`ingest.ts`).
 *
 * Everything the writer must see in order goes through the ring as a record
 * `u8 kind | u32 connection | payload` (`RingRecordKind`): the frames of accepted connections,
 * then `closed`, `rejected` and finally `stopped`. Control records are never dropped: when the ring
 * is full they wait, in order, in `pending`. Events frames follow the overload policy: `drop`
 * counts the frame's events as dropped and goes on; `block` pauses the socket (the agent's sends
 * then back up into the debuggee) until the writer has made room.
 *
 * Wake-ups: after a write the worker posts `wake` unless one is outstanding; the main thread
 * drains the ring and answers `drained`, and the worker posts another `wake` if it wrote anything
 * in between. So no record waits in the ring unannounced, and there is one message per burst
 * rather than per frame.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { FrameKind } from '../../common/traceProtocol';
import { decodeTerm } from '../agent/etf';
import { type Frame, FrameSplitter } from '../agent/frames';
import { eventCountOfPayload } from './eventBatch';
import { RingBuffer } from './ringBuffer';

export interface IngestWorkerStart {
  readonly token: string;
  readonly ring: SharedArrayBuffer;
  readonly overload: 'drop' | 'block';
  readonly host: string;
}

/** Worker → main. */
export type IngestWorkerMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'wake' }
  | { readonly type: 'failed'; readonly reason: string };

/** Main → worker. */
export type IngestMainMessage =
  | { readonly type: 'drained' }
  | { readonly type: 'closeConnection'; readonly connection: number; readonly reason: string }
  | { readonly type: 'stop' };

/** Kinds of ring records: the frame kinds of `FrameKind`, then the worker's own. */
export const RingRecordKind = {
  hello: FrameKind.hello,
  loaded: FrameKind.loaded,
  events: FrameKind.events,
  goodbye: FrameKind.goodbye,
  /** JSON `ConnectionClosed`: an accepted connection ended. */
  closed: 20,
  /** JSON `{reason}`: a connection was turned away. */
  rejected: 21,
  /** Empty: the worker stopped listening and every connection is closed. */
  stopped: 22,
} as const;

export interface ConnectionClosed {
  /** Null when the peer closed the connection (after `goodbye` or not); else why it was closed. */
  readonly reason: string | null;
  readonly goodbye: boolean;
  readonly droppedEvents: number;
  readonly droppedFrames: number;
}

export const RING_RECORD_HEADER_BYTES = 5;

if (parentPort !== null) runWorker(workerData as IngestWorkerStart);

function runWorker(start: IngestWorkerStart): void {
  const port = parentPort!;
  const ring = new RingBuffer(start.ring);
  const expectedToken = Buffer.from(start.token, 'utf8');
  const connections = new Set<Connection>();
  const pausedSockets = new Set<net.Socket>();
  const pending: Uint8Array[] = [];
  let nextConnectionId = 1;
  let agentConnected = false;
  let awaitingDrain = false;
  let writesSinceWake = 0;
  let stopping = false;

  interface Connection {
    readonly id: number;
    readonly socket: net.Socket;
    readonly splitter: FrameSplitter;
    state: 'hello' | 'accepted' | 'rejected' | 'closing';
    closeReason: string | null;
    goodbye: boolean;
    droppedEvents: number;
    droppedFrames: number;
  }

  const post = (message: IngestWorkerMessage) => port.postMessage(message);

  const noteWrite = () => {
    writesSinceWake++;
    if (!awaitingDrain) {
      awaitingDrain = true;
      writesSinceWake = 0;
      post({ type: 'wake' });
    }
  };

  const pump = () => {
    while (pending.length > 0 && ring.tryWrite(pending[0])) {
      pending.shift();
      noteWrite();
    }
    if (pending.length === 0) {
      for (const socket of pausedSockets) socket.resume();
      pausedSockets.clear();
    }
  };

  const enqueueControl = (kind: number, connectionId: number, payload: Uint8Array) => {
    const record = ringRecord(kind, connectionId, payload);
    if (record.length > ring.maxRecordBytes) {
      for (const connection of connections) {
        if (connection.id === connectionId) closeConnection(connection, `a frame of kind ${kind} (${payload.length} bytes) is larger than the recorder's ring buffer`);
      }
      return;
    }
    pending.push(record);
    pump();
  };

  const enqueueEvents = (connection: Connection, payload: Uint8Array) => {
    const record = ringRecord(RingRecordKind.events, connection.id, payload);
    if (pending.length === 0 && ring.tryWrite(record)) {
      noteWrite();
      return;
    }
    // A frame larger than the ring can ever hold is dropped, whatever the policy, and counted.
    if (start.overload === 'drop' || record.length > ring.maxRecordBytes) {
      connection.droppedEvents += Math.max(0, eventCountOfPayload(payload));
      connection.droppedFrames++;
      return;
    }
    pending.push(record);
    connection.socket.pause();
    pausedSockets.add(connection.socket);
  };

  const isClosed = (connection: Connection) => connection.state === 'closing' || connection.state === 'rejected';

  const closeConnection = (connection: Connection, reason: string) => {
    if (isClosed(connection)) return;
    connection.closeReason = reason;
    connection.state = connection.state === 'accepted' ? 'closing' : 'rejected';
    if (connection.state === 'rejected') enqueueControl(RingRecordKind.rejected, connection.id, jsonBytes({ reason }));
    connection.socket.destroy();
  };

  const acceptHello = (connection: Connection, payload: Uint8Array): string | null => {
    let token: Uint8Array | null = null;
    try {
      const hello = decodeTerm(payload);
      if (hello.type === 'map') {
        for (const [key, value] of hello.entries) {
          if (key.type === 'atom' && key.value === 'token' && value.type === 'binary') token = value.value;
        }
      }
    } catch (error) {
      return `hello is not a readable term (${(error as Error).message})`;
    }
    if (token === null) return 'hello has no token';
    if (token.length !== expectedToken.length || !crypto.timingSafeEqual(token, expectedToken)) return 'wrong token';
    if (agentConnected) return 'another agent is already connected';
    agentConnected = true;
    connection.state = 'accepted';
    enqueueControl(RingRecordKind.hello, connection.id, payload);
    return null;
  };

  // The splitter has already refused frames of another protocol version (a `FrameError`).
  const handleFrame = (connection: Connection, frame: Frame) => {
    if (connection.state === 'hello') {
      const refusal = frame.kind === FrameKind.hello ? acceptHello(connection, frame.payload) : `first frame is of kind ${frame.kind}, not hello`;
      if (refusal !== null) closeConnection(connection, refusal);
      return;
    }
    switch (frame.kind) {
      case FrameKind.events:
        enqueueEvents(connection, frame.payload);
        return;
      case FrameKind.loaded:
        enqueueControl(RingRecordKind.loaded, connection.id, frame.payload);
        return;
      case FrameKind.goodbye:
        connection.goodbye = true;
        enqueueControl(RingRecordKind.goodbye, connection.id, frame.payload);
        return;
      default:
        closeConnection(connection, `unexpected frame of kind ${frame.kind}`);
    }
  };

  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const connection: Connection = {
      id: nextConnectionId++,
      socket,
      splitter: new FrameSplitter(),
      state: 'hello',
      closeReason: null,
      goodbye: false,
      droppedEvents: 0,
      droppedFrames: 0,
    };
    connections.add(connection);
    if (stopping) socket.destroy();
    socket.on('data', (chunk: Buffer) => {
      if (isClosed(connection)) return;
      let frames;
      try {
        frames = connection.splitter.push(chunk);
      } catch (error) {
        closeConnection(connection, `malformed frame: ${(error as Error).message}`);
        return;
      }
      for (const frame of frames) {
        handleFrame(connection, frame);
        if (isClosed(connection)) break;
      }
    });
    socket.on('error', (error) => {
      if (connection.closeReason === null && error.message) connection.closeReason = `socket error: ${error.message}`;
    });
    socket.on('close', () => {
      connections.delete(connection);
      pausedSockets.delete(socket);
      if (connection.state === 'hello') {
        enqueueControl(RingRecordKind.rejected, connection.id, jsonBytes({ reason: connection.closeReason ?? 'closed before sending hello' }));
      } else if (connection.state === 'accepted' || connection.state === 'closing') {
        const closed: ConnectionClosed = {
          reason: connection.closeReason,
          goodbye: connection.goodbye,
          droppedEvents: connection.droppedEvents,
          droppedFrames: connection.droppedFrames,
        };
        enqueueControl(RingRecordKind.closed, connection.id, jsonBytes(closed));
      }
      if (stopping && connections.size === 0) enqueueControl(RingRecordKind.stopped, 0, new Uint8Array(0));
    });
  });
  server.on('error', (error) => post({ type: 'failed', reason: error.message }));

  port.on('message', (message: IngestMainMessage) => {
    switch (message.type) {
      case 'drained': {
        awaitingDrain = false;
        if (writesSinceWake > 0) noteWrite();
        pump();
        return;
      }
      case 'closeConnection': {
        for (const connection of connections) if (connection.id === message.connection) closeConnection(connection, message.reason);
        return;
      }
      case 'stop': {
        if (stopping) return;
        stopping = true;
        server.close();
        if (connections.size === 0) enqueueControl(RingRecordKind.stopped, 0, new Uint8Array(0));
        for (const connection of connections) {
          if (connection.closeReason === null) connection.closeReason = 'the recorder stopped';
          connection.socket.destroy();
        }
        return;
      }
    }
  });

  server.listen(0, start.host, () => {
    const address = server.address();
    post({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
  });
}

function ringRecord(kind: number, connection: number, payload: Uint8Array): Uint8Array {
  const record = new Uint8Array(RING_RECORD_HEADER_BYTES + payload.length);
  record[0] = kind;
  new DataView(record.buffer).setUint32(1, connection, true);
  record.set(payload, RING_RECORD_HEADER_BYTES);
  return record;
}

function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
