// First rung first (issue 20): a recorded lecture becomes watchable when its lowest video rung and
// its audio are done, and gains the higher rungs as they finish.
//
// Rules:
// - Passes run one after another, each a TranscodeJob on a subset of the one ladder plan
//   (planPasses): first the lowest video rung (with its sound) and the poster; then the higher
//   rungs (by default all in one ffmpeg, the source decoded once more) with the audio-only
//   rung(s) and the sprites (made from that pass's lowest rung). Every
//   pass uses the same frame rate, GOP and forced keyframes, so all rungs cut at the same times.
//   The first pass encodes with a faster preset (FIRST_PASS_PRESET, superfast): it is what
//   makes the lecture watchable, and the source's decoding already costs most of it.
// - outDir is the folder players read. Its master.m3u8 lists only complete rungs: a pass is
//   written in workDir, its rung folders (and thumbnails) are renamed into outDir, and only then
//   is the master rewritten, through a temporary file and a rename, so a reader gets the old
//   master or the new one, never half of one. A rung once listed is never changed or removed,
//   so a player that loaded the master earlier keeps playing; new viewers get the new rungs.
// - Restart-safe: create() reads outDir's master; a listed rung whose playlist is complete and
//   whose segments are present counts as done and is not made again. Anything else in outDir
//   (a rung moved in before a crash, before the master named it) is replaced when its pass ends.
// - `rungs` is emitted after each master write (and at the start when a resumed job already has
//   rungs), with every complete rung and the names still to come; `end` once all are done.
// - The first pass's rung grows in outDir while it is made (growing-rung.ts): once it has a few
//   segments the master lists it with an EVENT playlist (no ENDLIST) that gains each segment
//   ffmpeg finishes, and `rungs` is emitted with it under `growing`. A player plays and seeks from
//   the start to what is made; at the pass's end its files replace the links and its playlist
//   becomes the finished VOD. An hour's lecture is watchable from its start seconds after the
//   upload (the first pass alone takes minutes: the source's decoding bounds it).
//   On error or abort outDir is left as it is: its listed rungs are being watched.
import { EventEmitter } from 'node:events';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ProbeResult } from '../probe';
import { writeAtomic } from '../write-atomic';
import { DEFAULT_PRESET, DEFAULT_SEGMENT_SEC, FIRST_PASS_PRESET, buildMasterPlaylist, fasterPreset, planLadder } from './ladder';
import type { LadderPlan, PlanLadderOptions, RungBandwidth } from './ladder';
import { GrowingRung, PassFollower } from './growing-rung';
import { listedRungs, passCost, planPasses, readRung, replaceWith, rungRendition } from './ladder-passes';
import { TranscodeError, TranscodeJob } from './TranscodeJob';
import type { TranscodeJobState, TranscodeRendition, TranscodeResult } from './TranscodeJob';
import type { ThumbnailOptions } from './thumbnails';

export { planPasses } from './ladder-passes';

export interface ProgressiveTranscodeOptions {
  input: string;
  /** The served folder (created when missing); must not contain '%'. */
  outDir: string;
  /** Scratch folder for the passes; on the same file system as outDir for renames. */
  workDir: string;
  probe: ProbeResult;
  ffmpegPath?: string;
  preset?: string;
  /** The first pass's preset; default the faster of `preset` and FIRST_PASS_PRESET. */
  firstPassPreset?: string;
  segmentSec?: number;
  ladder?: PlanLadderOptions;
  thumbnails?: ThumbnailOptions | false;
  killTimeoutMs?: number;
  /** 'together' (default): the higher rungs in one ffmpeg; 'each': one ffmpeg per rung, lowest first. */
  higherRungs?: 'together' | 'each';
  /** Serve the first pass's rung while it is made (default true); false lists it when complete. */
  growFirstRung?: boolean;
  /** How often a growing rung is brought up to date; default 1000 ms. */
  growPollMs?: number;
}

/** Segments a growing rung has before the master lists it (8 s at the default 4-s segments). */
const GROW_AFTER_SEGMENTS = 2;

/** What outDir holds now: the rungs a player can use and the ones still to come. */
export interface LadderSnapshot {
  masterPath: 'master.m3u8';
  audioMasterPath: 'audio.m3u8' | null;
  /** Complete rungs, plan order (highest first). */
  renditions: TranscodeRendition[];
  /** Rung names still being made and not listed yet, plan order. */
  pending: string[];
  /** Rungs listed while they are made (EVENT playlists that grow); also in `renditions`. */
  growing: string[];
  posterPath: string | null;
  thumbnailsVtt: string | null;
  durationSec: number;
  segmentSec: number;
}

export interface ProgressiveProgress {
  /** Whole job, 0..100, never decreases. */
  percent: number;
  /** The rungs of the pass running now. */
  rungs: string[];
  stage: 'ladder' | 'thumbnails';
  etaSec: number | null;
  speed: number | null;
}

export interface ProgressiveResult extends LadderSnapshot {
  outDir: string;
  sprites: string[];
  /**
   * From the start: the first rung listed while growing (watchable from its start), the first
   * rung complete (null when it was already done), the whole ladder.
   */
  timings: { firstListedMs: number | null; firstRungMs: number | null; ladderMs: number };
}

export interface ProgressiveTranscodeEvents {
  rungs: [LadderSnapshot];
  progress: [ProgressiveProgress];
  end: [ProgressiveResult];
  error: [TranscodeError];
  /** Something went wrong that the job works around (a rung not served while it grows): for the log. */
  warning: [Error];
}

export class ProgressiveTranscodeJob extends EventEmitter<ProgressiveTranscodeEvents> {
  readonly outDir: string;
  readonly workDir: string;
  readonly plan: LadderPlan;
  readonly segmentSec: number;
  /** Rung names per pass still to run, in order. */
  readonly passes: string[][];

  readonly #opts: ProgressiveTranscodeOptions;
  readonly #done = new Map<string, { rendition: TranscodeRendition; bandwidth: RungBandwidth | null }>();
  #durationSec = 0;
  #poster: string | null = null;
  #thumbnailsVtt: string | null = null;
  #sprites: string[] = [];
  #current: TranscodeJob | null = null;
  /** Rungs listed while their pass runs. */
  readonly #growing = new Map<string, GrowingRung>();
  #firstListedMs: number | null = null;
  #aborted = false;
  #state: TranscodeJobState = 'running';
  #percent = 0;
  #result: ProgressiveResult | null = null;
  #error: TranscodeError | null = null;
  #finished!: Promise<void>;

  private constructor(opts: ProgressiveTranscodeOptions, plan: LadderPlan, outDir: string) {
    super();
    this.#opts = opts;
    this.outDir = outDir;
    this.workDir = resolve(opts.workDir);
    this.plan = plan;
    this.segmentSec = opts.segmentSec ?? DEFAULT_SEGMENT_SEC;
    this.passes = [];
  }

  static async create(opts: ProgressiveTranscodeOptions): Promise<ProgressiveTranscodeJob> {
    const outDir = resolve(opts.outDir);
    if (outDir.includes('%') || resolve(opts.workDir).includes('%')) {
      throw new TranscodeError('invalid-input', `outDir and workDir must not contain '%': ${outDir}`);
    }
    let plan: LadderPlan;
    try {
      plan = planLadder(opts.probe, opts.ladder);
    } catch (cause) {
      throw new TranscodeError('invalid-input', (cause as Error).message, { cause });
    }
    const job = new ProgressiveTranscodeJob(opts, plan, outDir);
    try {
      await mkdir(outDir, { recursive: true });
      await rm(job.workDir, { recursive: true, force: true });
      await mkdir(job.workDir, { recursive: true });
      await job.#resume();
    } catch (cause) {
      if (cause instanceof TranscodeError) throw cause;
      throw new TranscodeError('io-failed', `cannot prepare ${outDir}: ${(cause as Error).message}`, { cause });
    }
    for (const pass of planPasses(plan, opts.higherRungs)) {
      const left = pass.filter((n) => !job.#done.has(n));
      if (left.length) job.passes.push(left);
    }
    job.#finished = job.#run().then(
      (result) => {
        job.#result = result;
        job.#state = 'ended';
        job.emit('end', result);
      },
      (cause: unknown) => {
        const error = cause instanceof TranscodeError ? cause : new TranscodeError('io-failed', (cause as Error)?.message ?? String(cause), { cause });
        job.#error = error;
        job.#state = error.code === 'aborted' ? 'aborted' : 'failed';
        if (job.listenerCount('error') > 0) job.emit('error', error);
      },
    );
    return job;
  }

  get state(): TranscodeJobState {
    return this.#state;
  }

  /** Rung names already complete in outDir. */
  get done(): string[] {
    return this.plan.rungs.filter((r) => this.#done.has(r.name)).map((r) => r.name);
  }

  /** pid of the ffmpeg child running now, if any. */
  get pid(): number | null {
    return this.#current?.pid ?? null;
  }

  async wait(): Promise<ProgressiveResult> {
    await this.#finished;
    if (this.#error) throw this.#error;
    return this.#result!;
  }

  async abort(): Promise<void> {
    if (this.#state === 'running' && !this.#aborted) {
      this.#aborted = true;
      await this.#current?.abort();
    }
    await this.#finished;
  }

  /** The rungs outDir's master already lists, checked on disk. */
  async #resume(): Promise<void> {
    const master = await readFile(join(this.outDir, 'master.m3u8'), 'utf8').catch(() => null);
    if (master === null) return;
    for (const name of listedRungs(master)) {
      const rung = this.plan.rungs.find((r) => r.name === name);
      if (!rung) continue;
      const found = await readRung(this.outDir, rung, this.segmentSec);
      if (!found) continue;
      this.#done.set(name, found);
      this.#durationSec = Math.max(this.#durationSec, found.durationSec);
    }
    const exists = (f: string) => stat(join(this.outDir, f)).then(() => true, () => false);
    if (await exists('poster.jpg')) this.#poster = 'poster.jpg';
    if (await exists('thumbnails.vtt')) this.#thumbnailsVtt = 'thumbnails.vtt';
  }

  #snapshot(): LadderSnapshot {
    // While a rung grows the lecture is as long as its source, not as what is made so far.
    const durationSec = this.#growing.size > 0 ? Math.max(this.#durationSec, this.#opts.probe.durationSec ?? 0) : this.#durationSec;
    return {
      masterPath: 'master.m3u8',
      audioMasterPath: this.plan.rungs.some((r) => r.kind === 'audio' && this.#done.has(r.name)) ? 'audio.m3u8' : null,
      renditions: this.plan.rungs.flatMap((r) => this.#done.get(r.name)?.rendition ?? (this.#growing.has(r.name) ? rungRendition(r, null, this.#growing.get(r.name)!.segments) : [])),
      pending: this.plan.rungs.filter((r) => !this.#done.has(r.name) && !this.#growing.has(r.name)).map((r) => r.name),
      growing: this.plan.rungs.filter((r) => this.#growing.has(r.name)).map((r) => r.name),
      posterPath: this.#poster,
      thumbnailsVtt: this.#thumbnailsVtt,
      durationSec: Math.round(durationSec * 1000) / 1000,
      segmentSec: this.segmentSec,
    };
  }

  async #run(): Promise<ProgressiveResult> {
    const started = performance.now();
    let firstRungMs: number | null = null;
    // Let create()'s caller attach its listeners first (its await resumes in a microtask).
    await new Promise((resolveTick) => setImmediate(resolveTick));
    if (this.#done.size > 0) this.emit('rungs', this.#snapshot());
    const costs = this.passes.map((p) => passCost(this.plan, p, this.#opts.probe));
    const total = costs.reduce((a, b) => a + b, 0);
    let before = 0;
    const firstPass = planPasses(this.plan)[0]!;
    const isFirst = (names: readonly string[]) => names.some((n) => firstPass.includes(n));
    // The poster comes with the first pass left, the seek previews (sprites, made from a pass's
    // lowest rung) with the pass after the first rung's: they would hold it back ~1 s a minute.
    const spritesAt = this.passes.length > 1 && isFirst(this.passes[0]!) ? 1 : 0;
    for (const [i, names] of this.passes.entries()) {
      this.#checkAborted();
      const first = isFirst(names);
      const parts = { poster: i === 0 && !this.#poster, sprites: i === spritesAt && !this.#thumbnailsVtt };
      const passDir = join(this.workDir, `pass-${i + 1}`);
      const grow = first && this.#opts.growFirstRung !== false;
      const job = await TranscodeJob.create({
        input: this.#opts.input,
        outDir: passDir,
        probe: this.#opts.probe,
        ffmpegPath: this.#opts.ffmpegPath,
        preset: first ? (this.#opts.firstPassPreset ?? fasterPreset(this.#opts.preset ?? DEFAULT_PRESET, FIRST_PASS_PRESET)) : this.#opts.preset,
        segmentSec: this.segmentSec,
        playlistType: grow ? 'event' : 'vod',
        ladder: this.#opts.ladder,
        rungs: names,
        thumbnails: parts.poster || parts.sprites ? this.#opts.thumbnails : false,
        thumbnailParts: parts,
        killTimeoutMs: this.#opts.killTimeoutMs,
      });
      this.#current = job;
      if (this.#aborted) await job.abort();
      const share = costs[i]! / total;
      job.on('progress', (p) => {
        const percent = Math.max(this.#percent, Math.min(99.9, Math.round((before + share * p.percent) * 10) / 10));
        this.#percent = percent;
        this.emit('progress', { percent, rungs: names, stage: p.stage, etaSec: p.etaSec, speed: p.speed });
      });
      const follower = grow ? await this.#follow(job, names, started) : null;
      let result: TranscodeResult;
      try {
        result = await job.wait();
      } finally {
        await follower?.stop();
      }
      this.#current = null;
      before += share * 100;
      this.#checkAborted();
      await this.#take(result, names);
      if (first) firstRungMs = performance.now() - started;
      this.emit('rungs', this.#snapshot());
    }
    await rm(this.workDir, { recursive: true, force: true }).catch(() => undefined);
    const firstListedMs = this.#firstListedMs ?? firstRungMs;
    return {
      ...this.#snapshot(),
      outDir: this.outDir,
      sprites: this.#sprites,
      timings: { firstListedMs: firstListedMs === null ? null : Math.round(firstListedMs), firstRungMs: firstRungMs === null ? null : Math.round(firstRungMs), ladderMs: Math.round(performance.now() - started) },
    };
  }

  /** Serves a pass's rungs while ffmpeg makes them; lists them once each has a few segments. */
  #follow(job: TranscodeJob, names: readonly string[], started: number): Promise<PassFollower> {
    const pairs = names.map((name) => ({ from: join(job.partialDir, name), to: join(this.outDir, name) }));
    return PassFollower.start(pairs, {
      segmentSec: this.segmentSec,
      pollMs: this.#opts.growPollMs,
      afterSegments: GROW_AFTER_SEGMENTS,
      onError: (error) => this.emit('warning', error),
      onReady: async (rungs) => {
        names.forEach((name, i) => this.#growing.set(name, rungs[i]!));
        try {
          await this.#writeMasters();
        } catch (error) {
          this.#growing.clear();
          throw error;
        }
        this.#firstListedMs ??= performance.now() - started;
        this.emit('rungs', this.#snapshot());
      },
    });
  }

  /** Moves a finished pass into outDir, then writes the masters that list it. */
  async #take(result: TranscodeResult, names: readonly string[]): Promise<void> {
    for (const name of names) {
      const growing = this.#growing.get(name);
      if (growing) await growing.finish(join(result.outDir, name));
      else await replaceWith(join(result.outDir, name), join(this.outDir, name));
    }
    const extras = [result.posterPath, result.thumbnailsVtt, ...result.sprites].filter((f): f is string => Boolean(f));
    // Sprites before the VTT that names them.
    for (const f of extras.filter((f) => f !== result.thumbnailsVtt)) await replaceWith(join(result.outDir, f), join(this.outDir, f));
    if (result.thumbnailsVtt) await replaceWith(join(result.outDir, result.thumbnailsVtt), join(this.outDir, result.thumbnailsVtt));
    if (result.posterPath) this.#poster = result.posterPath;
    if (result.thumbnailsVtt) {
      this.#thumbnailsVtt = result.thumbnailsVtt;
      this.#sprites = result.sprites;
    }
    for (const r of result.renditions) {
      const bandwidth = { peak: r.bandwidth, average: r.averageBandwidth };
      this.#done.set(r.name, { rendition: r, bandwidth });
      this.#growing.delete(r.name);
    }
    this.#durationSec = Math.max(this.#durationSec, result.durationSec);
    await rm(result.outDir, { recursive: true, force: true });
    await this.#writeMasters();
  }

  /** The masters of the complete and the growing rungs (measured bit rates where known). */
  async #writeMasters(): Promise<void> {
    const listed = this.plan.rungs.filter((r) => this.#done.has(r.name) || this.#growing.has(r.name));
    const bandwidth = Object.fromEntries([...this.#done].flatMap(([n, d]) => (d.bandwidth ? [[n, d.bandwidth]] : [])));
    const plan = { ...this.plan, rungs: listed };
    const audio = this.plan.rungs.filter((r) => r.kind === 'audio' && this.#done.has(r.name));
    if (audio.length) await writeAtomic(join(this.outDir, 'audio.m3u8'), buildMasterPlaylist({ ...this.plan, rungs: audio }, { bandwidth, rungs: 'audio' }));
    await writeAtomic(join(this.outDir, 'master.m3u8'), buildMasterPlaylist(plan, { bandwidth }));
  }

  #checkAborted(): void {
    if (this.#aborted) throw new TranscodeError('aborted', 'transcode aborted', { stage: 'ladder' });
  }
}
