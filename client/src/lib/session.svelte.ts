/**
 * The signed-in user. The session itself is an httpOnly cookie set by the server; the client
 * only learns who it belongs to from GET /api/auth/me. `status` starts as 'unknown' until that
 * first probe answers, so the router can wait instead of flashing the login page.
 */
import { ApiError, api, type ApiClient } from './api/client.ts';
import type { CountyToday, User, UserResponse } from './api/types.ts';

export type SessionStatus = 'unknown' | 'authenticated' | 'anonymous';

export class Session {
  user = $state<User | null>(null);
  status = $state<SessionStatus>('unknown');
  /** Set when the server ended the session under us (expired cookie, password changed elsewhere). */
  expired = $state(false);
  /** The county's "today" from the server: credit years are the county's, never this browser clock's. */
  county = $state<CountyToday | null>(null);

  readonly #api: ApiClient;

  constructor(client: ApiClient) {
    this.#api = client;
    client.onUnauthenticated = () => this.#clear(true);
  }

  async load(): Promise<void> {
    try {
      const { user, county } = await this.#api.get<UserResponse>('/api/auth/me');
      this.#set(user, county);
    } catch (error) {
      // 401 means signed out; anything else (server unreachable) is treated the same way and the
      // login form reports the real problem when the user submits.
      if (!(error instanceof ApiError) || error.status !== 401) console.warn('session.load() | /api/auth/me failed', error);
      this.#clear(false);
    }
  }

  async login(username: string, password: string): Promise<User> {
    const { user, county } = await this.#api.post<UserResponse>('/api/auth/login', { username, password });
    this.#set(user, county);
    return user;
  }

  async logout(): Promise<void> {
    try {
      await this.#api.post<void>('/api/auth/logout');
    } finally {
      this.#clear(false);
    }
  }

  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await this.#api.post<void>('/api/auth/password', { currentPassword, newPassword });
  }

  /** The county's year now: the server's answer, else (no answer yet) this browser's clock. */
  get countyYear(): number {
    return this.county?.year ?? new Date().getFullYear();
  }

  #set(user: User, county?: CountyToday): void {
    this.user = user;
    if (county) this.county = county;
    this.status = 'authenticated';
    this.expired = false;
  }

  #clear(expired: boolean): void {
    const wasSignedIn = this.status === 'authenticated';
    this.user = null;
    this.status = 'anonymous';
    this.expired = expired && wasSignedIn;
  }
}

export const session = new Session(api);
