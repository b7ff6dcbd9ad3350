/**
 * Measures the longest time the event loop could not run a 1 ms timer: the stall a request would see.
 * (monitorEventLoopDelay under-reports a single long synchronous block, so gaps are measured directly.)
 */
export function startStallMeter(): { stop(): number } {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(worst, performance.now() - last - 1);
    },
  };
}
