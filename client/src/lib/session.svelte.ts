/**
 * The signed-in user. The session itself is an httpOnly cookie set by the server; the client
 * only learns who it belongs to from GET /api/auth/me. `status` starts as 'unknown' until that
 * first probe answers, so the router can wait instead of flashing the login page.
 */
import { ApiError, api, type ApiClient } from './api/client.ts';
import type { User, UserResponse } from './api/types.ts';

export type SessionStatus = 'unknown' | 'authenticated' | 'anonymous';

export class Session {
  user = $state<User | null>(null);
  status = $state<SessionStatus>('unknown');
  /** Set when the server ended the session under us (expired cookie, password changed elsewhere). */
  expired = $state(false);

  readonly #api: ApiClient;

  constructor(client: ApiClient) {
    this.#api = client;
    client.onUnauthenticated = () => this.#clear(true);
  }

  async load(): Promise<void> {
    try {
      const { user } = await this.#api.get<UserResponse>('/api/auth/me');
      this.#set(user);
    } catch (error) {
      // 401 means signed out; anything else (server unreachable) is treated the same way and the
      // login form reports the real problem when the user submits.
      if (!(error instanceof ApiError) || error.status !== 401) console.warn('session.load() | /api/auth/me failed', error);
      this.#clear(false);
    }
  }

  async login(username: string, password: string): Promise<User> {
    const { user } = await this.#api.post<UserResponse>('/api/auth/login', { username, password });
    this.#set(user);
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

  #set(user: User): void {
    this.user = user;
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
