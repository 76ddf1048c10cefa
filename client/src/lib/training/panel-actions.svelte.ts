// The state every panel of a class's management shares (roster, nominations, completion): an
// action runs with the panel busy, its message or error is shown, then the panel reloads and tells
// its parent the class changed. A failed load shows its error too.
import { locale } from '../i18n/index.ts';

export class PanelActions {
  busy = $state(false);
  error = $state<string | null>(null);
  message = $state<string | null>(null);

  constructor(
    private readonly read: () => Promise<void>,
    private readonly onchanged: () => void,
  ) {}

  async load(): Promise<void> {
    try {
      await this.read();
    } catch (err) {
      this.error = locale.error(err);
    }
  }

  /** Runs an action; the text it returns (or null) becomes the message. */
  async run(fn: () => Promise<string | null>): Promise<void> {
    this.busy = true;
    this.error = null;
    this.message = null;
    try {
      this.message = await fn();
      await this.load();
      this.onchanged();
    } catch (err) {
      this.error = locale.error(err);
    } finally {
      this.busy = false;
    }
  }
}
