/**
 * Cuts the agent's TCP byte stream into frames (`<<length:32, version:8, kind:8, payload>>`, see
 * `common/traceProtocol.ts`). TCP delivers arbitrary chunks, so a frame may arrive in pieces or
 * many frames in one chunk. Frames that lie wholly inside a chunk are returned as views of it
 * without copying; only a frame split across chunks is copied, once, into a buffer of its exact
 * size, allocated when its header has been read and checked. A header that breaks the protocol
 * (wrong version, unknown kind, impossible length) throws a `FrameError`; the stream cannot be
 * resynchronised after that, so the splitter stays failed and the caller closes the connection.
 */
import { FrameKind, PROTOCOL_VERSION } from '../../common/traceProtocol';

export interface Frame {
  readonly version: number;
  readonly kind: number;
  /**
   * The payload (ETF bytes). It may be a view into the chunk given to `push`: decode it, or copy
   * it, before the chunk's memory is reused (Node's sockets hand out a fresh buffer per chunk).
   */
  readonly payload: Uint8Array;
}

export type FrameErrorCode = 'bad-version' | 'unknown-kind' | 'bad-length';

/** A protocol violation in the frame headers; `offset` counts bytes from the start of the stream. */
export class FrameError extends Error {
  readonly code: FrameErrorCode;
  readonly offset: number;

  constructor(code: FrameErrorCode, offset: number, message: string) {
    super(`${message} (frame header at stream byte ${offset})`);
    this.name = 'FrameError';
    this.code = code;
    this.offset = offset;
  }
}

export interface FrameSplitterOptions {
  /** The largest `length` accepted; larger frames are refused before any memory is set aside. */
  readonly maxFrameBytes?: number;
  /** The one protocol version accepted. */
  readonly version?: number;
  /** The frame kinds accepted. */
  readonly kinds?: readonly number[];
}

export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Bytes before the payload: the length, the version and the kind. */
const HEADER_BYTES = 6;
/** The `length` field counts the version and kind bytes too. */
const MINIMUM_LENGTH = 2;

export class FrameSplitter {
  private readonly maxFrameBytes: number;
  private readonly version: number;
  private readonly kinds: ReadonlySet<number>;
  /** The first bytes of a header split across chunks. */
  private readonly headerScratch = new Uint8Array(HEADER_BYTES);
  private headerFilled = 0;
  /** A frame split across chunks: its checked header and the payload bytes received so far. */
  private partialPayload: Uint8Array | null = null;
  private partialFilled = 0;
  private partialKind = 0;
  /** Bytes of the stream consumed so far, for the offsets in errors. */
  private streamOffset = 0;
  private failure: FrameError | null = null;

  constructor(options: FrameSplitterOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.version = options.version ?? PROTOCOL_VERSION;
    this.kinds = new Set(options.kinds ?? Object.values(FrameKind));
  }

  /** Bytes held for a frame that is not complete yet. */
  get bufferedBytes(): number {
    return this.headerFilled + this.partialFilled;
  }

  /** Whether the stream ended cleanly, between frames. */
  get isAtFrameBoundary(): boolean {
    return this.headerFilled === 0 && this.partialPayload === null;
  }

  /** The whole frames completed by `chunk`, in stream order. Throws `FrameError` on a bad header. */
  push(chunk: Uint8Array): Frame[] {
    if (this.failure !== null) throw this.failure;
    const frames: Frame[] = [];
    let position = 0;
    const end = chunk.length;

    // Finish what the previous chunks started: first the header, then the payload.
    if (this.headerFilled > 0) {
      const take = Math.min(HEADER_BYTES - this.headerFilled, end);
      this.headerScratch.set(chunk.subarray(0, take), this.headerFilled);
      this.headerFilled += take;
      position = take;
      if (this.headerFilled < HEADER_BYTES) {
        this.streamOffset += end;
        return frames;
      }
      const headerStart = this.streamOffset - (this.headerFilled - take);
      const payloadLength = this.checkHeader(this.headerScratch, 0, headerStart);
      this.headerFilled = 0;
      this.partialPayload = new Uint8Array(payloadLength);
      this.partialFilled = 0;
      this.partialKind = this.headerScratch[5];
    }
    if (this.partialPayload !== null) {
      const payload = this.partialPayload;
      const take = Math.min(payload.length - this.partialFilled, end - position);
      payload.set(chunk.subarray(position, position + take), this.partialFilled);
      this.partialFilled += take;
      position += take;
      if (this.partialFilled < payload.length) {
        this.streamOffset += end;
        return frames;
      }
      frames.push({ version: this.version, kind: this.partialKind, payload });
      this.partialPayload = null;
      this.partialFilled = 0;
    }

    // Whole frames inside this chunk are views of it.
    while (end - position >= HEADER_BYTES) {
      const payloadLength = this.checkHeader(chunk, position, this.streamOffset + position);
      const payloadStart = position + HEADER_BYTES;
      if (end - payloadStart < payloadLength) {
        const payload = new Uint8Array(payloadLength);
        payload.set(chunk.subarray(payloadStart, end));
        this.partialPayload = payload;
        this.partialFilled = end - payloadStart;
        this.partialKind = chunk[position + 5];
        this.streamOffset += end;
        return frames;
      }
      frames.push({ version: chunk[position + 4], kind: chunk[position + 5], payload: chunk.subarray(payloadStart, payloadStart + payloadLength) });
      position = payloadStart + payloadLength;
    }
    if (position < end) {
      this.headerScratch.set(chunk.subarray(position, end), 0);
      this.headerFilled = end - position;
    }
    this.streamOffset += end;
    return frames;
  }

  /** Checks the header at `bytes[at..at+6)` and returns the payload's length. */
  private checkHeader(bytes: Uint8Array, at: number, streamOffset: number): number {
    const length = ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
    const version = bytes[at + 4];
    const kind = bytes[at + 5];
    if (length < MINIMUM_LENGTH || length > this.maxFrameBytes) {
      this.fail(new FrameError('bad-length', streamOffset, `frame length ${length} is outside 2..${this.maxFrameBytes}`));
    }
    if (version !== this.version) {
      this.fail(new FrameError('bad-version', streamOffset, `frame version ${version}, expected ${this.version}`));
    }
    if (!this.kinds.has(kind)) {
      this.fail(new FrameError('unknown-kind', streamOffset, `unknown frame kind ${kind}`));
    }
    return length - MINIMUM_LENGTH;
  }

  private fail(error: FrameError): never {
    this.failure = error;
    this.headerFilled = 0;
    this.partialPayload = null;
    throw error;
  }
}

/** The bytes of one frame, for the agent's tests and for replaying recorded streams. */
export function encodeFrame(kind: number, payload: Uint8Array, version: number = PROTOCOL_VERSION): Uint8Array {
  const frame = new Uint8Array(HEADER_BYTES + payload.length);
  const length = payload.length + MINIMUM_LENGTH;
  frame[0] = length >>> 24;
  frame[1] = (length >>> 16) & 0xff;
  frame[2] = (length >>> 8) & 0xff;
  frame[3] = length & 0xff;
  frame[4] = version;
  frame[5] = kind;
  frame.set(payload, HEADER_BYTES);
  return frame;
}
