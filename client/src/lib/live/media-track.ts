/** Svelte action: plays one MediaStreamTrack in a <video>/<audio> (undefined clears it). */
export function mediaTrack(node: HTMLMediaElement, track: MediaStreamTrack | undefined) {
  let current: MediaStreamTrack | undefined;
  const set = (next: MediaStreamTrack | undefined) => {
    if (next === current) return;
    current = next;
    node.srcObject = next ? new MediaStream([next]) : null;
    if (next) void node.play().catch(() => {});
  };
  set(track);
  return {
    update: set,
    destroy: () => {
      node.srcObject = null;
    },
  };
}
