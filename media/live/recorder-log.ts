// Reading a recording ffmpeg's stderr (`-loglevel level+verbose`, recording-args.ts).
//
// Rules:
// - Each line of av_log carries its level in brackets ("[h264 @ 0x…] [warning] …"). Lines of
//   warning and worse (and untagged lines: messages not from av_log) are kept for errors; info,
//   verbose and debug lines are read for what they say, then dropped.
// - ffmpeg (5.1) configures its filter graph again whenever a decoded frame's size changes, and
//   says so at verbose: "[graph 0 input from stream 0:N @ 0x…] [verbose] w:1280 h:720 …". The
//   SDP's first stream (0:0) is the picture (recording-args.ts), so those lines tell the size the
//   lecturer's picture arrives at — its first one is what the part keeps (autoscale).
// - The picture has grown when a later size is wider or taller than the first one: the owner may
//   start a new part at the new size (a screen share's resolution often climbs during its first
//   seconds, as the sender's bandwidth estimate allows). A smaller size is scaled up, no new part.
// Pure, no I/O.

export interface PictureSize {
  width: number;
  height: number;
}

const LEVEL = /^(?:\[[^\]]*\] )*\[(panic|fatal|error|warning|info|verbose|debug|trace)\] /;
const INPUT_SIZE = /^\[graph \d+ input from stream 0:(\d+) @ [^\]]+\] \[verbose\] w:(\d+) h:(\d+) /;

export type LogLine = { kind: 'kept'; text: string } | { kind: 'input-size'; stream: number; size: PictureSize } | { kind: 'dropped' };

/** What one stderr line of the recording ffmpeg says. */
export function readLogLine(line: string): LogLine {
  const size = INPUT_SIZE.exec(line);
  if (size) return { kind: 'input-size', stream: Number(size[1]), size: { width: Number(size[2]), height: Number(size[3]) } };
  const level = LEVEL.exec(line)?.[1];
  if (level === undefined || level === 'panic' || level === 'fatal' || level === 'error' || level === 'warning') {
    return { kind: 'kept', text: line.replace(/\[(panic|fatal|error|warning)\] /, '') };
  }
  return { kind: 'dropped' };
}

/** Whether `next` is wider or taller than `first`. */
export function pictureGrew(first: PictureSize, next: PictureSize): boolean {
  return next.width > first.width || next.height > first.height;
}

/**
 * Splits stderr chunks into lines; keeps a tail of the kept lines; follows the picture's input
 * size (stream 0:0) and calls `onGrown` once, the first time it grows beyond its first size.
 */
export class RecorderLog {
  readonly #tailChars: number;
  readonly #onGrown: (from: PictureSize, to: PictureSize) => void;
  #partial = '';
  #tail = '';
  #first: PictureSize | null = null;
  #grown = false;

  constructor(tailChars: number, onGrown: (from: PictureSize, to: PictureSize) => void) {
    this.#tailChars = tailChars;
    this.#onGrown = onGrown;
  }

  /** The picture's first size, once ffmpeg has decoded a frame of it. */
  get firstSize(): PictureSize | null {
    return this.#first;
  }

  get tail(): string {
    return this.#tail;
  }

  push(chunk: string): void {
    const lines = (this.#partial + chunk).split(/\r?\n|\r/);
    this.#partial = lines.pop() ?? '';
    // A line that never ends (a progress line) must not grow without bound.
    if (this.#partial.length > this.#tailChars) this.#partial = this.#partial.slice(-this.#tailChars);
    for (const line of lines) if (line) this.#line(line);
  }

  /** ffmpeg has exited: its last line may have had no newline. */
  flush(): void {
    const rest = this.#partial;
    this.#partial = '';
    if (rest) this.#line(rest);
  }

  #line(line: string): void {
    const read = readLogLine(line);
    if (read.kind === 'kept') {
      this.#tail = `${this.#tail}${read.text}\n`.slice(-this.#tailChars);
    } else if (read.kind === 'input-size' && read.stream === 0) {
      if (!this.#first) this.#first = read.size;
      else if (!this.#grown && pictureGrew(this.#first, read.size)) {
        this.#grown = true;
        this.#onGrown(this.#first, read.size);
      }
    }
  }
}
