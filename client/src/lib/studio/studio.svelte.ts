/**
 * 讲授课程管理: the lectures a lecturer created (all of them for the admins), with their
 * processing state kept live from the socket feed, and the actions on them (create, edit,
 * publish, withdraw). A finished upload or a `ready` event re-reads the lecture over HTTP,
 * because the server sets the duration and the state then.
 */
import { api, type ApiClient } from '../api/client.ts';
import type { LectureAdmin, LectureInput, ProcessingEvent, UploadConfig } from '../api/types.ts';
import { applyProcessing, isProcessingActive } from './processing.ts';
import { ProcessingFeed } from './processing-feed.ts';

export type StudioStatus = 'idle' | 'loading' | 'ready' | 'error';

export class Studio {
  lectures = $state<LectureAdmin[]>([]);
  status = $state<StudioStatus>('idle');
  error = $state<unknown>(null);
  uploadConfig = $state<UploadConfig | null>(null);
  /** Live link state (for a small "实时" indicator); null before the first connection. */
  live = $state<boolean | null>(null);

  readonly #api: ApiClient;
  #feed: ProcessingFeed | null = null;

  constructor(client: ApiClient = api) {
    this.#api = client;
  }

  async load(): Promise<void> {
    if (this.status !== 'ready') this.status = 'loading';
    this.error = null;
    try {
      const [{ items }, config] = await Promise.all([
        this.#api.get<{ items: LectureAdmin[] }>('/api/lectures/mine'),
        this.uploadConfig ? Promise.resolve(this.uploadConfig) : this.#api.get<UploadConfig>('/api/uploads/config').catch(() => null),
      ]);
      this.lectures = items;
      this.uploadConfig = config;
      this.status = 'ready';
      for (const lecture of items) this.#follow(lecture);
    } catch (error) {
      this.error = error;
      this.status = 'error';
    }
  }

  find(id: string): LectureAdmin | undefined {
    return this.lectures.find((lecture) => lecture.id === id);
  }

  async create(input: LectureInput): Promise<LectureAdmin> {
    const lecture = await this.#api.post<LectureAdmin>('/api/lectures', input);
    this.lectures = [lecture, ...this.lectures.filter((l) => l.id !== lecture.id)];
    return lecture;
  }

  async update(id: string, input: Partial<LectureInput>): Promise<LectureAdmin> {
    return this.#replace(await this.#api.patch<LectureAdmin>(`/api/lectures/${encodeURIComponent(id)}`, input));
  }

  async publish(id: string): Promise<LectureAdmin> {
    return this.#replace(await this.#api.post<LectureAdmin>(`/api/lectures/${encodeURIComponent(id)}/publish`));
  }

  async withdraw(id: string): Promise<LectureAdmin> {
    return this.#replace(await this.#api.post<LectureAdmin>(`/api/lectures/${encodeURIComponent(id)}/withdraw`));
  }

  async refresh(id: string): Promise<void> {
    try {
      const lecture = await this.#api.get<LectureAdmin>(`/api/lectures/${encodeURIComponent(id)}`);
      this.#replace(lecture);
      this.#follow(lecture);
    } catch (error) {
      console.warn('studio.refresh() | could not re-read lecture [lectureId:%s]', id, error);
    }
  }

  /** An upload finished: the server queues the transcode; follow it live. */
  onUploaded = (id: string): void => {
    void this.#ensureFeed().watch(id);
    void this.refresh(id);
  };

  dispose(): void {
    this.#feed?.close();
    this.#feed = null;
    this.live = null;
  }

  #replace(lecture: LectureAdmin): LectureAdmin {
    const index = this.lectures.findIndex((l) => l.id === lecture.id);
    if (index >= 0) this.lectures[index] = lecture;
    else this.lectures = [lecture, ...this.lectures];
    return lecture;
  }

  /** Subscribes to lectures whose media may still change (not yet published). */
  #follow(lecture: LectureAdmin): void {
    if (isProcessingActive(lecture.processing.state) || lecture.state === 'processing' || (lecture.state === 'draft' && lecture.processing.state === 'none')) {
      void this.#ensureFeed().watch(lecture.id);
    }
  }

  #ensureFeed(): ProcessingFeed {
    this.#feed ??= new ProcessingFeed({
      onEvent: (event) => this.#onEvent(event),
      onResync: (ids) => {
        for (const id of ids) void this.refresh(id);
      },
      onConnection: (connected) => (this.live = connected),
    });
    return this.#feed;
  }

  #onEvent(event: ProcessingEvent): void {
    const index = this.lectures.findIndex((l) => l.id === event.lectureId);
    if (index < 0) return;
    this.lectures[index] = applyProcessing(this.lectures[index]!, event);
    // `rungs`: the master gained rungs (first rung first), so the lecture's renditions and state changed.
    if (event.state === 'ready' || event.state === 'failed' || event.state === 'rejected' || event.rungs) void this.refresh(event.lectureId);
  }
}

export const studio = new Studio();
