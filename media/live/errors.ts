// Errors of the live-room layer. `code` is stable: signaling answers `{ error: { code, message } }`.

export type LiveRoomErrorCode =
  | 'no-room'
  | 'no-peer'
  | 'no-transport'
  | 'no-producer'
  | 'cannot-consume'
  | 'closed'
  | 'no-live-worker'
  /** The room was rebuilt (worker death) while the request ran: redo transports and media. */
  | 'rebuilt';

export class LiveRoomError extends Error {
  override readonly name = 'LiveRoomError';
  readonly code: LiveRoomErrorCode;

  constructor(code: LiveRoomErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export type LiveRecorderErrorCode = 'invalid-options' | 'ffmpeg-missing' | 'ffmpeg-failed' | 'io-failed';

export class LiveRecorderError extends Error {
  override readonly name = 'LiveRecorderError';
  readonly code: LiveRecorderErrorCode;
  /** Last lines of ffmpeg's stderr, for logs. */
  readonly stderrTail: string | undefined;

  constructor(code: LiveRecorderErrorCode, message: string, options: { cause?: unknown; stderrTail?: string } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.stderrTail = options.stderrTail;
  }
}
