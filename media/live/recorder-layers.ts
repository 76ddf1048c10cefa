// A recorder's video consumer follows the best simulcast/SVC layer the lecturer sends.
//
// Rules (mediasoup 3.8.4, SimulcastConsumer.cpp; /work/shared/notes/mediasoup-ffmpeg.md):
// - ffmpeg scales every frame to the size of the first frame it decodes (-autoscale, on by
//   default): a recording that starts on a low layer stays at that size for the whole part. So
//   the consumer prefers the top layers, and, before it is resumed, the recorder waits (briefly)
//   for the producer's top encoding to be active: a camera turned on just before 开始直播
//   sends its low layers first, the top one once the sender's bandwidth estimate allows it.
// - mediasoup re-picks a consumer's layers only on events (a producer stream's score or first
//   sender report, a change of preferred layers). A check every second compares the current
//   spatial layer with the best active one and, when the consumer lags behind for two checks,
//   sets the preferred layers again (down one step and back: setting the same ones is a no-op)
//   and asks for a keyframe.
// - A keyframe is asked for on every layer change (ffmpeg can only start or switch on one).
// - `raised` fires once when the current spatial layer rises above the first one forwarded to
//   ffmpeg: the part's size is pinned to the smaller one, its owner may start a new part.
import type { Consumer, ConsumerLayers, Producer } from 'mediasoup/lib/types';

const CHECK_MS = 1_000;
const WAIT_POLL_MS = 100;

interface ScoreLike {
  /** Sent by the worker, missing from mediasoup's typings. */
  encodingIdx?: number;
  ssrc: number;
  rid?: string;
  score: number;
}

/** The highest encoding (spatial layer) of the producer that is active now, or -1. */
export function bestActiveLayer(scores: readonly ScoreLike[], encodings: readonly { ssrc?: number; rid?: string }[] = []): number {
  let best = -1;
  for (const s of scores) {
    const idx = s.encodingIdx ?? encodings.findIndex((e) => (s.rid !== undefined ? e.rid === s.rid : e.ssrc === s.ssrc));
    if (s.score > 0 && idx > best) best = idx;
  }
  return best;
}

/**
 * The top layers a consumer of `producer` can prefer: simulcast has one spatial layer per
 * encoding, SVC (one encoding) as many as its scalabilityMode says (L3T3); temporal layers too.
 */
export function topLayers(producer: Pick<Producer, 'rtpParameters'>): Required<ConsumerLayers> {
  const encodings = producer.rtpParameters.encodings ?? [];
  const mode = (i: number, re: RegExp) => Number(re.exec(encodings[i]?.scalabilityMode ?? '')?.[1] ?? 1);
  const temporal = Math.max(1, ...encodings.map((_, i) => mode(i, /T(\d+)/)));
  const spatial = encodings.length > 1 ? encodings.length : mode(0, /L(\d+)/);
  return { spatialLayer: Math.max(0, spatial - 1), temporalLayer: temporal - 1 };
}

export class RecorderLayers {
  readonly #consumer: Consumer;
  readonly #producer: Producer;
  readonly #top: Required<ConsumerLayers>;
  readonly #onRaised: (from: number, to: number) => void;
  #timer: NodeJS.Timeout | null = null;
  #firstSpatial = -1;
  #raised = false;
  #lagging = 0;
  #nudging = false;

  constructor(consumer: Consumer, producer: Producer, onRaised: (from: number, to: number) => void) {
    this.#consumer = consumer;
    this.#producer = producer;
    this.#top = topLayers(producer);
    this.#onRaised = onRaised;
  }

  /** Whether there are layers to follow (simulcast or SVC). */
  get layered(): boolean {
    return this.#consumer.type === 'simulcast' || this.#consumer.type === 'svc';
  }

  /** The spatial layer first forwarded to ffmpeg (-1 before any). */
  get firstSpatialLayer(): number {
    return this.#firstSpatial;
  }

  /**
   * Before the consumer is resumed: prefers the top layers and waits up to `timeoutMs` for the
   * producer's top encoding to be active. Resolves whether it is.
   */
  async prepare(timeoutMs: number, aborted: () => boolean): Promise<boolean> {
    if (!this.layered) return true;
    await this.#consumer.setPreferredLayers(this.#top).catch(() => undefined);
    // SVC layers are inside one stream: nothing to wait for.
    if ((this.#producer.rtpParameters.encodings?.length ?? 0) < 2) return true;
    const deadline = Date.now() + timeoutMs;
    while (this.#best() < this.#top.spatialLayer) {
      if (Date.now() >= deadline || aborted() || this.#producer.closed) return false;
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
    return true;
  }

  /** After the consumer is resumed: keyframes on layer changes, periodic checks. */
  start(): void {
    if (!this.layered || this.#timer) return;
    this.#consumer.on('layerschange', this.#onLayers);
    this.#timer = setInterval(() => void this.#check(), CHECK_MS);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#consumer.off('layerschange', this.#onLayers);
  }

  readonly #onLayers = (layers?: ConsumerLayers): void => {
    if (this.#consumer.closed) return;
    this.#consumer.requestKeyFrame().catch(() => undefined);
    if (!layers) return;
    if (this.#firstSpatial < 0) {
      this.#firstSpatial = layers.spatialLayer;
    } else if (!this.#raised && layers.spatialLayer > this.#firstSpatial) {
      this.#raised = true;
      this.#onRaised(this.#firstSpatial, layers.spatialLayer);
    }
  };

  #best(): number {
    return bestActiveLayer(this.#producer.score, this.#producer.rtpParameters.encodings);
  }

  async #check(): Promise<void> {
    const consumer = this.#consumer;
    if (consumer.closed || consumer.paused || this.#nudging) return;
    const best = this.#best();
    const current = consumer.currentLayers?.spatialLayer ?? -1;
    if (best < 0 || current >= Math.min(best, this.#top.spatialLayer)) {
      this.#lagging = 0;
      return;
    }
    // One check late is normal: mediasoup switches at the target layer's next keyframe.
    if (++this.#lagging < 2) return;
    this.#lagging = 0;
    this.#nudging = true;
    try {
      const lower = { spatialLayer: Math.max(0, this.#top.spatialLayer - 1), temporalLayer: this.#top.temporalLayer };
      await consumer.setPreferredLayers(lower);
      await consumer.setPreferredLayers(this.#top);
      await consumer.requestKeyFrame();
    } catch {
      // Closed meanwhile.
    } finally {
      this.#nudging = false;
    }
  }
}
